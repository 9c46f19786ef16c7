package agent

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

type metaListOptions = metav1.ListOptions

// KubeletVersion is reported as the node's kubelet version (the version of the
// control plane devcluster builds; the agent itself is not a kubelet).
var KubeletVersion = "v1.34.4"

func readFileTrim(p string) string {
	b, _ := os.ReadFile(p)
	return strings.TrimSpace(string(b))
}

func osImage() string {
	f, err := os.Open("/etc/os-release")
	if err != nil {
		return "Linux"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return "Linux"
}

func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kb int64
		if n, _ := fmt.Sscanf(sc.Text(), "MemTotal: %d kB", &kb); n == 1 {
			return kb * 1024
		}
	}
	return 0
}

func (a *Agent) nodeCapacity() v1.ResourceList {
	var st syscall.Statfs_t
	disk := int64(0)
	if syscall.Statfs(a.cfg.RootDir, &st) == nil {
		disk = int64(st.Blocks) * int64(st.Bsize)
	}
	return v1.ResourceList{
		v1.ResourceCPU:              *resource.NewQuantity(int64(runtime.NumCPU()), resource.DecimalSI),
		v1.ResourceMemory:           *resource.NewQuantity(memTotal(), resource.BinarySI),
		v1.ResourcePods:             *resource.NewQuantity(110, resource.DecimalSI),
		v1.ResourceEphemeralStorage: *resource.NewQuantity(disk, resource.BinarySI),
	}
}

func (a *Agent) nodeConditions(now metav1.Time) []v1.NodeCondition {
	c := func(t v1.NodeConditionType, s v1.ConditionStatus, reason, msg string) v1.NodeCondition {
		return v1.NodeCondition{Type: t, Status: s, Reason: reason, Message: msg, LastHeartbeatTime: now, LastTransitionTime: now}
	}
	return []v1.NodeCondition{
		c(v1.NodeMemoryPressure, v1.ConditionFalse, "KubeletHasSufficientMemory", "devcluster node agent has sufficient memory available"),
		c(v1.NodeDiskPressure, v1.ConditionFalse, "KubeletHasNoDiskPressure", "devcluster node agent has no disk pressure"),
		c(v1.NodePIDPressure, v1.ConditionFalse, "KubeletHasSufficientPID", "devcluster node agent has sufficient PID available"),
		c(v1.NodeReady, v1.ConditionTrue, "KubeletReady", "devcluster node agent is posting ready status"),
	}
}

func (a *Agent) nodeStatus(now metav1.Time) v1.NodeStatus {
	capacity := a.nodeCapacity()
	host, _ := os.Hostname()
	var uts syscall.Utsname
	syscall.Uname(&uts)
	kernel := ""
	for _, c := range uts.Release {
		if c == 0 {
			break
		}
		kernel += string(rune(c))
	}
	return v1.NodeStatus{
		Capacity:    capacity,
		Allocatable: capacity.DeepCopy(),
		Phase:       v1.NodeRunning,
		Conditions:  a.nodeConditions(now),
		Addresses: []v1.NodeAddress{
			{Type: v1.NodeInternalIP, Address: "127.0.0.1"},
			{Type: v1.NodeHostName, Address: a.cfg.NodeName},
		},
		DaemonEndpoints: v1.NodeDaemonEndpoints{KubeletEndpoint: v1.DaemonEndpoint{Port: int32(a.cfg.Port)}},
		NodeInfo: v1.NodeSystemInfo{
			MachineID:               readFileTrim("/etc/machine-id"),
			SystemUUID:              readFileTrim("/sys/class/dmi/id/product_uuid"),
			BootID:                  readFileTrim("/proc/sys/kernel/random/boot_id"),
			KernelVersion:           kernel,
			OSImage:                 osImage() + " (host " + host + ")",
			ContainerRuntimeVersion: "devcluster://host-processes",
			KubeletVersion:          KubeletVersion,
			OperatingSystem:         "linux",
			Architecture:            runtime.GOARCH,
		},
	}
}

func (a *Agent) registerNode(ctx context.Context) error {
	now := metav1.Now()
	node := &v1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: a.cfg.NodeName,
			Labels: map[string]string{
				"kubernetes.io/hostname":                a.cfg.NodeName,
				"kubernetes.io/os":                      "linux",
				"kubernetes.io/arch":                    runtime.GOARCH,
				"beta.kubernetes.io/os":                 "linux",
				"beta.kubernetes.io/arch":               runtime.GOARCH,
				"node.kubernetes.io/instance-type":      "devcluster",
				"node-role.kubernetes.io/control-plane": "",
			},
			Annotations: map[string]string{"devcluster.hero-logic/agent": "pods run as host processes"},
		},
	}
	// NodeRestriction forbids a node to set node-role labels on itself.
	delete(node.Labels, "node-role.kubernetes.io/control-plane")
	var err error
	for i := 0; i < 100; i++ {
		_, err = a.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
		if err == nil || apierrors.IsAlreadyExists(err) {
			break
		}
		log.Printf("create node: %v (retrying)", err)
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return a.updateNodeStatus(ctx, now)
}

func (a *Agent) updateNodeStatus(ctx context.Context, now metav1.Time) error {
	for i := 0; i < 5; i++ {
		n, err := a.client.CoreV1().Nodes().Get(ctx, a.cfg.NodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		old := map[v1.NodeConditionType]v1.NodeCondition{}
		for _, c := range n.Status.Conditions {
			old[c.Type] = c
		}
		st := a.nodeStatus(now)
		for i, c := range st.Conditions {
			if o, ok := old[c.Type]; ok && o.Status == c.Status {
				st.Conditions[i].LastTransitionTime = o.LastTransitionTime
			}
		}
		n.Status = st
		_, err = a.client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
		if err == nil || !apierrors.IsConflict(err) {
			return err
		}
	}
	return fmt.Errorf("node status: too many conflicts")
}

// heartbeat renews the node Lease every 10s and the node status every minute.
func (a *Agent) heartbeat(ctx context.Context) {
	leases := a.client.CoordinationV1().Leases(v1.NamespaceNodeLease)
	lastStatus := time.Now()
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		now := metav1.NowMicro()
		l, err := leases.Get(ctx, a.cfg.NodeName, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			n, nerr := a.client.CoreV1().Nodes().Get(ctx, a.cfg.NodeName, metav1.GetOptions{})
			if nerr != nil {
				log.Printf("lease: get node: %v", nerr)
				break
			}
			l = &coordinationv1.Lease{
				ObjectMeta: metav1.ObjectMeta{Name: a.cfg.NodeName, Namespace: v1.NamespaceNodeLease,
					OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: n.Name, UID: n.UID}}},
				Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(a.cfg.NodeName), LeaseDurationSeconds: ptr.To(int32(40)), RenewTime: &now},
			}
			if _, err := leases.Create(ctx, l, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				log.Printf("lease: create: %v", err)
			}
		case err != nil:
			if ctx.Err() == nil {
				log.Printf("lease: get: %v", err)
			}
		default:
			l.Spec.RenewTime = &now
			l.Spec.HolderIdentity = ptr.To(a.cfg.NodeName)
			if _, err := leases.Update(ctx, l, metav1.UpdateOptions{}); err != nil && ctx.Err() == nil {
				log.Printf("lease: renew: %v", err)
			}
		}
		if time.Since(lastStatus) > time.Minute {
			if err := a.updateNodeStatus(ctx, metav1.Now()); err != nil && ctx.Err() == nil {
				log.Printf("node status: %v", err)
			} else {
				lastStatus = time.Now()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
