package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"hero-logic/devcluster/internal/cluster"
)

// TestRestartComponent restarts the API server, the controller manager and the
// node agent of a cluster of its own (restarting them under the shared cluster
// would break the tests running beside it) and checks that each comes back on
// the same port with the same certificates and data, that the watchdog does not
// report the planned stop, and what happens to a Pod that ran across the agent's restart.
func TestRestartComponent(t *testing.T) {
	bin := os.Getenv("DEVCLUSTER_BIN")
	if bin == "" || os.Getenv("DEVCLUSTER_E2E_STATE_DIR") != "" {
		t.Skip("needs its own cluster: run with `make -C devcluster test` (DEVCLUSTER_BIN set, no DEVCLUSTER_E2E_STATE_DIR)")
	}
	dir := t.TempDir()
	devcluster := func(args ...string) (string, error) {
		out, err := exec.Command(bin, args...).CombinedOutput()
		return string(out), err
	}
	if out, err := devcluster("up", "--state-dir="+dir, "--etcd="+os.Getenv("DEVCLUSTER_ETCD"),
		"--kube-apiserver="+os.Getenv("DEVCLUSTER_KUBE_APISERVER"),
		"--kube-controller-manager="+os.Getenv("DEVCLUSTER_KUBE_CONTROLLER_MANAGER")); err != nil {
		t.Fatalf("up: %v\n%s", err, out)
	}
	t.Cleanup(func() { devcluster("down", "--state-dir="+dir) })
	before, err := cluster.ReadEnv(filepath.Join(dir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dir, "kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	c := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()

	if out, err := devcluster("restart", "--state-dir="+dir, "--component=scheduler"); err == nil || !strings.Contains(out, `unknown component "scheduler"`) {
		t.Fatalf("an unknown component must be refused by name, got err=%v:\n%s", err, out)
	}

	// A ConfigMap written before the API server restarts is read back through the same kubeconfig after it.
	if _, err := c.CoreV1().ConfigMaps("default").Create(ctx, &v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kept"},
		Data: map[string]string{"k": "before restart"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A Pod that runs across the node agent's restart.
	if _, err := c.CoreV1().Pods("default").Create(ctx, &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "across"},
		Spec: v1.PodSpec{RestartPolicy: v1.RestartPolicyNever, Containers: []v1.Container{{Name: "main", Image: "python:3.12-slim",
			Command: []string{"python3", "-c", "import time; print('started', flush=True); time.sleep(300)"}}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPodOn(t, c, "default", "across", 60*time.Second, "Running", func(p *v1.Pod) bool { return p.Status.Phase == v1.PodRunning })

	for _, component := range []string{"apiserver", "controller-manager", "agent"} {
		name, _ := cluster.ComponentName(component)
		if out, err := devcluster("restart", "--state-dir="+dir, "--component="+component); err != nil {
			t.Fatalf("restart %s: %v\n%s", component, err, out)
		}
		after, err := cluster.ReadEnv(filepath.Join(dir, "env"))
		if err != nil {
			t.Fatal(err)
		}
		key := "DEVCLUSTER_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_PID"
		if after[key] == before[key] || after[key] == "" {
			t.Fatalf("%s: pid %q after restart, %q before: not a new process", name, after[key], before[key])
		}
		for _, same := range []string{"DEVCLUSTER_API_SERVER", "DEVCLUSTER_KUBELET_PORT", "DEVCLUSTER_KCM_PORT", "DEVCLUSTER_DATA_DIR", "DEVCLUSTER_PKI_DIR"} {
			if after[same] != before[same] {
				t.Fatalf("%s changed across the restart of %s: %q -> %q", same, name, before[same], after[same])
			}
		}
		log, _ := os.ReadFile(filepath.Join(dir, "logs", name+".log"))
		if !strings.Contains(string(log), "devcluster restart at") || !strings.HasPrefix(string(log), "# ") {
			t.Fatalf("%s's log was not appended to across the restart:\n%s", name, lastLines(filepath.Join(dir, "logs", name+".log"), 10))
		}
	}
	out, err := devcluster("status", "--state-dir="+dir)
	if err != nil {
		t.Fatalf("status after the restarts: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "FAILED")); err == nil {
		b, _ := os.ReadFile(filepath.Join(dir, "FAILED"))
		t.Fatalf("the watchdog reported a planned restart as a failure:\n%s", b)
	}

	cm, err := c.CoreV1().ConfigMaps("default").Get(ctx, "kept", metav1.GetOptions{})
	if err != nil || cm.Data["k"] != "before restart" {
		t.Fatalf("data written before the API server's restart: %v %v", cm, err)
	}
	// The agent stops its Pods when it stops; the new one says why they ended.
	p := waitPodOn(t, c, "default", "across", 60*time.Second, "Failed", func(p *v1.Pod) bool { return p.Status.Phase == v1.PodFailed })
	if cs := p.Status.ContainerStatuses; len(cs) != 1 || cs[0].State.Terminated == nil || cs[0].State.Terminated.Reason != "ContainerStatusUnknown" {
		t.Fatalf("container across the agent's restart: %+v; want terminated, ContainerStatusUnknown", cs)
	}
	if p.Status.Reason != "NodeAgentRestarted" {
		t.Fatalf("Pod across the agent's restart: reason %q, message %q; want NodeAgentRestarted", p.Status.Reason, p.Status.Message)
	}
	// Its log, written by the agent that ran it, is still served by the new one.
	if logs, err := c.CoreV1().Pods("default").GetLogs("across", &v1.PodLogOptions{}).DoRaw(ctx); err != nil || string(logs) != "started\n" {
		t.Fatalf("log of the Pod across the agent's restart: %q %v; want \"started\\n\"", logs, err)
	}
	// The restarted controller manager still makes ServiceAccounts, and the restarted agent runs Pods and serves their logs.
	ns := "after-restart"
	if _, err := c.CoreV1().Namespaces().Create(ctx, &v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := c.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("no default ServiceAccount from the restarted controller manager: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := c.CoreV1().Pods(ns).Create(ctx, &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "after"},
		Spec: v1.PodSpec{RestartPolicy: v1.RestartPolicyNever, Containers: []v1.Container{{Name: "main", Image: "python:3.12-slim",
			Command: []string{"python3", "-c", "print('after restart')"}}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPodOn(t, c, ns, "after", 60*time.Second, "Succeeded", func(p *v1.Pod) bool { return p.Status.Phase == v1.PodSucceeded })
	logs, err := c.CoreV1().Pods(ns).GetLogs("after", &v1.PodLogOptions{}).DoRaw(ctx)
	if err != nil || string(logs) != "after restart\n" {
		t.Fatalf("logs of the Pod after the restarts: %q %v", logs, err)
	}
}
