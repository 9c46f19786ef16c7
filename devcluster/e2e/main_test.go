// Package e2e tests devcluster end to end: it starts a cluster (etcd,
// kube-apiserver, kube-controller-manager, node agent) in a temporary
// STATE_DIR, or uses the running one named by DEVCLUSTER_E2E_STATE_DIR, and
// checks what a user of the cluster sees through the API.
package e2e

import (
	"bufio"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"hero-logic/devcluster/internal/cluster"
)

var (
	client   kubernetes.Interface
	restCfg  *rest.Config
	stateDir string
	env      cluster.Env
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	own := false
	stateDir = os.Getenv("DEVCLUSTER_E2E_STATE_DIR")
	if stateDir == "" {
		bin := os.Getenv("DEVCLUSTER_BIN")
		if bin == "" {
			fmt.Fprintln(os.Stderr, "e2e: DEVCLUSTER_BIN is not set: run the tests with `make -C devcluster test`")
			return 1
		}
		dir, err := os.MkdirTemp("", "devcluster-e2e-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		stateDir = dir
		own = true
		t0 := time.Now()
		cmd := exec.Command(bin, "up", "--state-dir="+dir,
			"--etcd="+os.Getenv("DEVCLUSTER_ETCD"),
			"--kube-apiserver="+os.Getenv("DEVCLUSTER_KUBE_APISERVER"),
			"--kube-controller-manager="+os.Getenv("DEVCLUSTER_KUBE_CONTROLLER_MANAGER"),
			"--pod-nice=3") // TestPodsRunAtTheNodesNiceness: not the default, so that it shows
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: devcluster up failed: %v\n", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "e2e: cluster up in %.1fs (STATE_DIR=%s)\n", time.Since(t0).Seconds(), dir)
		defer func() {
			cmd := exec.Command(bin, "down", "--state-dir="+dir)
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			if err := cmd.Run(); err != nil {
				fmt.Fprintf(os.Stderr, "e2e: devcluster down failed: %v\n", err)
			}
			os.RemoveAll(dir)
		}()
	}
	var err error
	env, err = cluster.ReadEnv(filepath.Join(stateDir, "env"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: no cluster in %s: %v\n", stateDir, err)
		return 1
	}
	restCfg, err = clientcmd.BuildConfigFromFlags("", filepath.Join(stateDir, "kubeconfig"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	restCfg.QPS, restCfg.Burst = 50, 100
	client = kubernetes.NewForConfigOrDie(restCfg)
	code := m.Run()
	if code != 0 && own {
		// show what the components said
		for _, c := range cluster.Components {
			p := filepath.Join(stateDir, "logs", c+".log")
			fmt.Fprintf(os.Stderr, "\n--- last lines of %s ---\n%s\n", p, lastLines(p, 30))
		}
	}
	return code
}

func lastLines(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	l := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// namespace creates a fresh namespace for one test and waits for its default
// ServiceAccount and kube-root-ca.crt (made by kube-controller-manager).
func namespace(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("e2e-%s-%04d", strings.ToLower(strings.TrimPrefix(t.Name(), "Test")), rand.Intn(10000))
	if len(name) > 60 {
		name = name[:60]
	}
	name = strings.Trim(strings.ReplaceAll(name, "_", "-"), "-")
	_, err := client.CoreV1().Namespaces().Create(ctx, &v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		client.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	eventually(t, 30*time.Second, "default ServiceAccount and kube-root-ca.crt in "+name, func() error {
		if _, err := client.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{}); err != nil {
			return err
		}
		_, err := client.CoreV1().ConfigMaps(name).Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
		return err
	})
	return name
}

func eventually(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s: %v", timeout, what, err)
}

func createPod(t *testing.T, ns string, pod *v1.Pod) *v1.Pod {
	t.Helper()
	p, err := client.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod: %v", err)
	}
	return p
}

// pythonPod is a Pod like the operator's: python image, non-root, restricted.
func pythonPod(name, script string) *v1.Pod {
	return &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "e2e", "test": name}},
		Spec: v1.PodSpec{
			RestartPolicy: v1.RestartPolicyNever,
			SecurityContext: &v1.PodSecurityContext{
				RunAsNonRoot:   ptrTo(true),
				RunAsUser:      ptrTo(int64(65534)),
				RunAsGroup:     ptrTo(int64(65534)),
				SeccompProfile: &v1.SeccompProfile{Type: v1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []v1.Container{{
				Name:    "main",
				Image:   "python:3.12-slim",
				Command: []string{"python3", "-u", "-c", script},
				SecurityContext: &v1.SecurityContext{
					AllowPrivilegeEscalation: ptrTo(false),
					ReadOnlyRootFilesystem:   ptrTo(true),
					Capabilities:             &v1.Capabilities{Drop: []v1.Capability{"ALL"}},
				},
			}},
		},
	}
}

func ptrTo[T any](v T) *T { return &v }

func waitPod(t *testing.T, ns, name string, timeout time.Duration, what string, ok func(*v1.Pod) bool) *v1.Pod {
	t.Helper()
	return waitPodOn(t, client, ns, name, timeout, what, ok)
}

// waitPodOn is waitPod on another cluster's client.
func waitPodOn(t *testing.T, c kubernetes.Interface, ns, name string, timeout time.Duration, what string, ok func(*v1.Pod) bool) *v1.Pod {
	t.Helper()
	var last *v1.Pod
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		p, err := c.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err == nil {
			last = p
			if ok(p) {
				return p
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("pod %s/%s: timed out waiting for %s; last status: %s", ns, name, what, describe(last))
	return nil
}

func describe(p *v1.Pod) string {
	if p == nil {
		return "<none>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "phase=%s reason=%q message=%q", p.Status.Phase, p.Status.Reason, p.Status.Message)
	for _, cs := range append(append([]v1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		fmt.Fprintf(&b, " [%s restarts=%d", cs.Name, cs.RestartCount)
		if s := cs.State.Waiting; s != nil {
			fmt.Fprintf(&b, " waiting %s: %s", s.Reason, s.Message)
		}
		if s := cs.State.Running; s != nil {
			fmt.Fprintf(&b, " running")
		}
		if s := cs.State.Terminated; s != nil {
			fmt.Fprintf(&b, " terminated %s exit=%d: %s", s.Reason, s.ExitCode, s.Message)
		}
		b.WriteString("]")
	}
	return b.String()
}

func terminal(p *v1.Pod) bool {
	return p.Status.Phase == v1.PodSucceeded || p.Status.Phase == v1.PodFailed
}

func logs(t *testing.T, ns, name string, o *v1.PodLogOptions) string {
	t.Helper()
	b, err := client.CoreV1().Pods(ns).GetLogs(name, o).DoRaw(context.Background())
	if err != nil {
		t.Fatalf("logs %s/%s: %v", ns, name, err)
	}
	return string(b)
}

func podGone(ns, name string) error {
	_, err := client.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("pod still exists")
}

// rss returns the resident memory of a process in KiB.
func rss(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

func events(t *testing.T, ns, pod string) []v1.Event {
	t.Helper()
	l, err := client.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{FieldSelector: "involvedObject.name=" + pod})
	if err != nil {
		t.Fatal(err)
	}
	return l.Items
}
