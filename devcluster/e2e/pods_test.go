package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestServerVersionAndNode(t *testing.T) {
	v, err := client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v.GitVersion, "v1.34.") || v.Major != "1" || v.Minor != "34" {
		t.Fatalf("server version %+v, want v1.34.x with major 1 minor 34", v)
	}
	n, err := client.CoreV1().Nodes().Get(context.Background(), env["DEVCLUSTER_NODE_NAME"], metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ready := false
	for _, c := range n.Status.Conditions {
		if c.Type == v1.NodeReady && c.Status == v1.ConditionTrue {
			ready = true
		}
	}
	if !ready || n.Status.Addresses[0].Address != "127.0.0.1" || n.Status.DaemonEndpoints.KubeletEndpoint.Port == 0 {
		t.Fatalf("node not as expected: %+v", n.Status)
	}
	if _, err := client.CoordinationV1().Leases("kube-node-lease").Get(context.Background(), n.Name, metav1.GetOptions{}); err != nil {
		t.Fatalf("node lease: %v", err)
	}
}

func TestPythonPrintSucceeds(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	createPod(t, ns, pythonPod("hello", `import os; print("hello from devcluster as uid", os.getuid())`))
	p := waitPod(t, ns, "hello", time.Minute, "Succeeded", terminal)
	if p.Status.Phase != v1.PodSucceeded {
		t.Fatalf("phase: %s", describe(p))
	}
	cs := p.Status.ContainerStatuses[0]
	if cs.State.Terminated == nil || cs.State.Terminated.ExitCode != 0 || cs.State.Terminated.Reason != "Completed" {
		t.Fatalf("container status: %s", describe(p))
	}
	conds := map[v1.PodConditionType]v1.ConditionStatus{}
	for _, c := range p.Status.Conditions {
		conds[c.Type] = c.Status
	}
	if conds[v1.PodScheduled] != v1.ConditionTrue || conds[v1.PodInitialized] != v1.ConditionTrue || conds[v1.PodReady] != v1.ConditionFalse {
		t.Fatalf("conditions: %+v", p.Status.Conditions)
	}
	if p.Status.PodIP != "127.0.0.1" || p.Status.HostIP != "127.0.0.1" || p.Status.StartTime == nil {
		t.Fatalf("ips/startTime: %+v", p.Status)
	}
	out := logs(t, ns, "hello", &v1.PodLogOptions{})
	if out != "hello from devcluster as uid 65534\n" {
		t.Fatalf("logs: %q", out)
	}
	ts := logs(t, ns, "hello", &v1.PodLogOptions{Timestamps: true})
	stamp, rest, _ := strings.Cut(ts, " ")
	if _, err := time.Parse(time.RFC3339Nano, stamp); err != nil || rest != "hello from devcluster as uid 65534\n" {
		t.Fatalf("timestamped logs: %q", ts)
	}
}

func TestPodsRunAtTheNodesNiceness(t *testing.T) {
	t.Parallel()
	want := env["DEVCLUSTER_POD_NICE"]
	if want == "" {
		want = "0" // a cluster started before the setting existed
	}
	ns := namespace(t)
	createPod(t, ns, pythonPod("nice", `import os, subprocess
print(os.nice(0), flush=True)
subprocess.run(["python3", "-c", "import os; print(os.nice(0))"], check=True)`))
	p := waitPod(t, ns, "nice", time.Minute, "Succeeded", terminal)
	if p.Status.Phase != v1.PodSucceeded {
		t.Fatalf("phase: %s", describe(p))
	}
	if out := logs(t, ns, "nice", &v1.PodLogOptions{}); out != want+"\n"+want+"\n" {
		t.Fatalf("niceness of the container and its child: %q, want %s for both", out, want)
	}
}

func TestNonZeroExitFails(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	createPod(t, ns, pythonPod("exit3", `import sys; print("bye"); sys.exit(3)`))
	p := waitPod(t, ns, "exit3", time.Minute, "terminal", terminal)
	if p.Status.Phase != v1.PodFailed {
		t.Fatalf("phase: %s", describe(p))
	}
	st := p.Status.ContainerStatuses[0].State.Terminated
	if st == nil || st.ExitCode != 3 || st.Reason != "Error" || st.FinishedAt.IsZero() || st.StartedAt.IsZero() {
		t.Fatalf("terminated state: %s", describe(p))
	}
}

func TestSignalExitCode(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	createPod(t, ns, pythonPod("killed", `import os, signal; os.kill(os.getpid(), signal.SIGKILL)`))
	p := waitPod(t, ns, "killed", time.Minute, "terminal", terminal)
	st := p.Status.ContainerStatuses[0].State.Terminated
	if p.Status.Phase != v1.PodFailed || st == nil || st.ExitCode != 137 || st.Reason != "Error" {
		t.Fatalf("want Failed with exit code 137: %s", describe(p))
	}
}

// readPid reads the "pid=N" line a test Pod prints first.
func readPid(t *testing.T, ns, name string) int {
	t.Helper()
	var pid int
	eventually(t, 30*time.Second, "pid line in logs", func() error {
		b, err := client.CoreV1().Pods(ns).GetLogs(name, &v1.PodLogOptions{}).DoRaw(context.Background())
		if err != nil {
			return err
		}
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "pid="); ok {
				pid, err = strconv.Atoi(v)
				return err
			}
		}
		return fmt.Errorf("no pid yet in %q", b)
	})
	return pid
}

func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && !strings.HasPrefix(strings.TrimSpace(s[i+1:]), "Z")
}

func TestDeleteKillsProcess(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	// The child process (same process group) must die too.
	createPod(t, ns, pythonPod("sleeper", `import os, subprocess, time
child = subprocess.Popen(["sleep", "600"])
print("pid=%d" % os.getpid()); print("child=%d" % child.pid)
time.sleep(600)`))
	waitPod(t, ns, "sleeper", time.Minute, "Running", func(p *v1.Pod) bool { return p.Status.Phase == v1.PodRunning })
	pid := readPid(t, ns, "sleeper")
	out := logs(t, ns, "sleeper", &v1.PodLogOptions{})
	child := 0
	fmt.Sscanf(out[strings.Index(out, "child="):], "child=%d", &child)
	if !alive(pid) || !alive(child) {
		t.Fatalf("process %d / child %d not running on this machine", pid, child)
	}
	t0 := time.Now()
	if err := client.CoreV1().Pods(ns).Delete(context.Background(), "sleeper", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "pod object gone", func() error { return podGone(ns, "sleeper") })
	if alive(pid) || alive(child) {
		t.Fatalf("pod deleted but process %d or child %d still alive", pid, child)
	}
	t.Logf("pod deleted and its processes gone in %s", time.Since(t0).Round(time.Millisecond))
}

func TestDeleteIgnoringSIGTERMKilledAfterGrace(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	pod := pythonPod("stubborn", `import os, signal, time
signal.signal(signal.SIGTERM, lambda *a: print("got SIGTERM, ignoring", flush=True))
print("pid=%d" % os.getpid(), flush=True)
while True: time.sleep(1)`)
	pod.Spec.TerminationGracePeriodSeconds = ptrTo(int64(2))
	createPod(t, ns, pod)
	waitPod(t, ns, "stubborn", time.Minute, "Running", func(p *v1.Pod) bool { return p.Status.Phase == v1.PodRunning })
	pid := readPid(t, ns, "stubborn")
	t0 := time.Now()
	if err := client.CoreV1().Pods(ns).Delete(context.Background(), "stubborn", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// While terminating, the SIGTERM reaches the process (visible in its log).
	eventually(t, 10*time.Second, "SIGTERM in log", func() error {
		b, err := client.CoreV1().Pods(ns).GetLogs("stubborn", &v1.PodLogOptions{}).DoRaw(context.Background())
		if err != nil {
			return err
		}
		if !strings.Contains(string(b), "got SIGTERM") {
			return fmt.Errorf("no SIGTERM line yet")
		}
		return nil
	})
	eventually(t, 30*time.Second, "pod gone", func() error { return podGone(ns, "stubborn") })
	el := time.Since(t0)
	if alive(pid) {
		t.Fatalf("process %d alive after pod deletion", pid)
	}
	if el < 1500*time.Millisecond {
		t.Fatalf("pod gone after %s, before its 2s grace period", el)
	}
}

func TestGarbageCollection(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	ctx := context.Background()
	owner, err := client.CoreV1().ConfigMaps(ns).Create(ctx, &v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "owner"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.CoreV1().ConfigMaps(ns).Create(ctx, &v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "child",
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "owner", UID: owner.UID}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.CoreV1().ConfigMaps(ns).Delete(ctx, "owner", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "child ConfigMap garbage collected", func() error {
		_, err := client.CoreV1().ConfigMaps(ns).Get(ctx, "child", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("child still there (%v)", err)
	})
}

func TestNamespaceDeletionCompletes(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	ctx := context.Background()
	client.CoreV1().ConfigMaps(ns).Create(ctx, &v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "data"}, Data: map[string]string{"a": "b"}}, metav1.CreateOptions{})
	pod := pythonPod("runner", `import os, time
print("pid=%d" % os.getpid()); time.sleep(600)`)
	pod.Spec.TerminationGracePeriodSeconds = ptrTo(int64(5))
	createPod(t, ns, pod)
	waitPod(t, ns, "runner", time.Minute, "Running", func(p *v1.Pod) bool { return p.Status.Phase == v1.PodRunning })
	pid := readPid(t, ns, "runner")
	if err := client.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 90*time.Second, "namespace "+ns+" gone", func() error {
		n, err := client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		return fmt.Errorf("namespace %s: phase %s, conditions %+v", ns, n.Status.Phase, n.Status.Conditions)
	})
	if alive(pid) {
		t.Fatalf("process %d of a Pod in the deleted namespace is alive", pid)
	}
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestConfigMapAndSecretArriveByteExact(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	ctx := context.Background()
	binary := make([]byte, 0, 512)
	for i := 0; i < 512; i++ {
		binary = append(binary, byte(i*7+3))
	}
	text := "line one\nünïcödé ✓ \"quoted\" $(NOT_EXPANDED) tab\there\n\ntrailing spaces   "
	secretBytes := []byte{0, 1, 2, 255, 254, '\n', 0, 'x'}
	_, err := client.CoreV1().ConfigMaps(ns).Create(ctx, &v1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "cfg"},
		Data:       map[string]string{"text.txt": text, "flow.py": "print('x')\n", "ENV_A": "from-envfrom"},
		BinaryData: map[string][]byte{"blob.bin": binary},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.CoreV1().Secrets(ns).Create(ctx, &v1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "sec"},
		Data:       map[string][]byte{"key.bin": secretBytes, "password": []byte("s3cr3t value")},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	script := `import os, json, base64, hashlib
files = {}
for root, dirs, names in os.walk("/etc/cfg"):
    dirs[:] = [d for d in dirs if not d.startswith("..")]
    for n in names:
        p = os.path.join(root, n)
        files[p] = base64.b64encode(open(p, "rb").read()).decode()
for p in ["/etc/sec/key.bin", "/etc/sec/password", "/etc/items/renamed/text", "/etc/podinfo/name", "/etc/podinfo/labels", "/etc/proj/flow.py", "/etc/proj/pw", "/etc/one/flow.py"]:
    files[p] = base64.b64encode(open(p, "rb").read()).decode()
modes = {p: oct(os.stat(p).st_mode & 0o777) for p in ["/etc/sec/key.bin", "/etc/items/renamed/text"]}
envs = {k: base64.b64encode(os.environb[k.encode()]).decode() for k in ["CM_TEXT", "SECRET_BIN", "POD_NAME", "POD_NS", "POD_UID", "POD_LABEL", "ENV_A", "P_ENV_A", "EXPANDED", "HOME"] if k.encode() in os.environb}
writable = os.access("/work-area", os.W_OK)
print(json.dumps({"files": files, "env": envs, "modes": modes, "uid": os.getuid(), "gid": os.getgid(), "groups": sorted(os.getgroups()), "cwd": os.getcwd(), "emptydir_writable": writable}))
`
	pod := pythonPod("reader", script)
	pod.Spec.SecurityContext.FSGroup = ptrTo(int64(2000))
	pod.Spec.Volumes = []v1.Volume{
		{Name: "cfg", VolumeSource: v1.VolumeSource{ConfigMap: &v1.ConfigMapVolumeSource{LocalObjectReference: v1.LocalObjectReference{Name: "cfg"}}}},
		{Name: "items", VolumeSource: v1.VolumeSource{ConfigMap: &v1.ConfigMapVolumeSource{LocalObjectReference: v1.LocalObjectReference{Name: "cfg"},
			Items: []v1.KeyToPath{{Key: "text.txt", Path: "renamed/text", Mode: ptrTo(int32(0o400))}}}}},
		{Name: "sec", VolumeSource: v1.VolumeSource{Secret: &v1.SecretVolumeSource{SecretName: "sec", DefaultMode: ptrTo(int32(0o440))}}},
		{Name: "podinfo", VolumeSource: v1.VolumeSource{DownwardAPI: &v1.DownwardAPIVolumeSource{Items: []v1.DownwardAPIVolumeFile{
			{Path: "name", FieldRef: &v1.ObjectFieldSelector{FieldPath: "metadata.name"}},
			{Path: "labels", FieldRef: &v1.ObjectFieldSelector{FieldPath: "metadata.labels"}},
		}}}},
		{Name: "proj", VolumeSource: v1.VolumeSource{Projected: &v1.ProjectedVolumeSource{Sources: []v1.VolumeProjection{
			{ConfigMap: &v1.ConfigMapProjection{LocalObjectReference: v1.LocalObjectReference{Name: "cfg"}, Items: []v1.KeyToPath{{Key: "flow.py", Path: "flow.py"}}}},
			{Secret: &v1.SecretProjection{LocalObjectReference: v1.LocalObjectReference{Name: "sec"}, Items: []v1.KeyToPath{{Key: "password", Path: "pw"}}}},
		}}}},
		{Name: "work", VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{}}},
	}
	c := &pod.Spec.Containers[0]
	c.WorkingDir = "/work-area"
	c.VolumeMounts = []v1.VolumeMount{
		{Name: "cfg", MountPath: "/etc/cfg"},
		{Name: "items", MountPath: "/etc/items"},
		{Name: "sec", MountPath: "/etc/sec", ReadOnly: true},
		{Name: "podinfo", MountPath: "/etc/podinfo"},
		{Name: "proj", MountPath: "/etc/proj"},
		{Name: "cfg", MountPath: "/etc/one/flow.py", SubPath: "flow.py"},
		{Name: "work", MountPath: "/work-area"},
	}
	c.EnvFrom = []v1.EnvFromSource{
		{ConfigMapRef: &v1.ConfigMapEnvSource{LocalObjectReference: v1.LocalObjectReference{Name: "cfg"}}},
		{Prefix: "P_", ConfigMapRef: &v1.ConfigMapEnvSource{LocalObjectReference: v1.LocalObjectReference{Name: "cfg"}}},
	}
	c.Env = []v1.EnvVar{
		{Name: "CM_TEXT", ValueFrom: &v1.EnvVarSource{ConfigMapKeyRef: &v1.ConfigMapKeySelector{LocalObjectReference: v1.LocalObjectReference{Name: "cfg"}, Key: "text.txt"}}},
		{Name: "SECRET_BIN", ValueFrom: &v1.EnvVarSource{SecretKeyRef: &v1.SecretKeySelector{LocalObjectReference: v1.LocalObjectReference{Name: "sec"}, Key: "password"}}},
		{Name: "POD_NAME", ValueFrom: &v1.EnvVarSource{FieldRef: &v1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
		{Name: "POD_NS", ValueFrom: &v1.EnvVarSource{FieldRef: &v1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
		{Name: "POD_UID", ValueFrom: &v1.EnvVarSource{FieldRef: &v1.ObjectFieldSelector{FieldPath: "metadata.uid"}}},
		{Name: "POD_LABEL", ValueFrom: &v1.EnvVarSource{FieldRef: &v1.ObjectFieldSelector{FieldPath: "metadata.labels['test']"}}},
		{Name: "EXPANDED", Value: "name=$(POD_NAME) literal=$$(POD_NAME)"},
	}
	created := createPod(t, ns, pod)
	p := waitPod(t, ns, "reader", time.Minute, "terminal", terminal)
	if p.Status.Phase != v1.PodSucceeded {
		t.Fatalf("pod: %s\nlogs: %s", describe(p), logs(t, ns, "reader", &v1.PodLogOptions{}))
	}
	var got struct {
		Files     map[string]string `json:"files"`
		Env       map[string]string `json:"env"`
		Modes     map[string]string `json:"modes"`
		UID       int               `json:"uid"`
		GID       int               `json:"gid"`
		Groups    []int             `json:"groups"`
		Cwd       string            `json:"cwd"`
		EmptyDirW bool              `json:"emptydir_writable"`
	}
	out := logs(t, ns, "reader", &v1.PodLogOptions{})
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	dec := func(s string) []byte { b, _ := base64.StdEncoding.DecodeString(s); return b }
	wantFiles := map[string][]byte{
		"/etc/cfg/text.txt":       []byte(text),
		"/etc/cfg/flow.py":        []byte("print('x')\n"),
		"/etc/cfg/ENV_A":          []byte("from-envfrom"),
		"/etc/cfg/blob.bin":       binary,
		"/etc/sec/key.bin":        secretBytes,
		"/etc/sec/password":       []byte("s3cr3t value"),
		"/etc/items/renamed/text": []byte(text),
		"/etc/podinfo/name":       []byte("reader"),
		"/etc/podinfo/labels":     []byte("app=\"e2e\"\ntest=\"reader\""),
		"/etc/proj/flow.py":       []byte("print('x')\n"),
		"/etc/proj/pw":            []byte("s3cr3t value"),
		"/etc/one/flow.py":        []byte("print('x')\n"),
	}
	for p, want := range wantFiles {
		if g, ok := got.Files[p]; !ok || !bytes.Equal(dec(g), want) {
			t.Errorf("file %s: got %q (sha %s), want %q (sha %s)", p, dec(g), sha(dec(g)), want, sha(want))
		}
	}
	var cfgFiles []string
	for p := range got.Files {
		if strings.HasPrefix(p, "/etc/cfg/") {
			cfgFiles = append(cfgFiles, p)
		}
	}
	sort.Strings(cfgFiles)
	if len(cfgFiles) != 4 {
		t.Errorf("/etc/cfg has %v, want the 4 keys", cfgFiles)
	}
	wantEnv := map[string]string{
		"CM_TEXT": text, "SECRET_BIN": "s3cr3t value", "POD_NAME": "reader", "POD_NS": ns,
		"POD_UID": string(created.UID), "POD_LABEL": "reader", "ENV_A": "from-envfrom", "P_ENV_A": "from-envfrom",
		"EXPANDED": "name=reader literal=$(POD_NAME)", "HOME": "/",
	}
	for k, want := range wantEnv {
		if g := string(dec(got.Env[k])); g != want {
			t.Errorf("env %s = %q, want %q", k, g, want)
		}
	}
	// modes: items mode 0400 and defaultMode 0440; fsGroup adds group read
	if got.Modes["/etc/sec/key.bin"] != "0o440" || got.Modes["/etc/items/renamed/text"] != "0o440" {
		t.Errorf("modes: %v", got.Modes)
	}
	if got.UID != 65534 || got.GID != 65534 || !containsInt(got.Groups, 2000) || got.Cwd != "/work-area" || !got.EmptyDirW {
		t.Errorf("identity/cwd: uid=%d gid=%d groups=%v cwd=%s emptyDir writable=%v", got.UID, got.GID, got.Groups, got.Cwd, got.EmptyDirW)
	}
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func TestActiveDeadline(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	pod := pythonPod("late", `import os, time
print("pid=%d" % os.getpid()); time.sleep(600)`)
	pod.Spec.ActiveDeadlineSeconds = ptrTo(int64(3))
	t0 := time.Now()
	createPod(t, ns, pod)
	p := waitPod(t, ns, "late", 60*time.Second, "terminal", terminal)
	if p.Status.Phase != v1.PodFailed || p.Status.Reason != "DeadlineExceeded" {
		t.Fatalf("want Failed/DeadlineExceeded: %s", describe(p))
	}
	if el := time.Since(t0); el < 2*time.Second || el > 30*time.Second {
		t.Fatalf("deadline enforced after %s (deadline 3s)", el)
	}
	pid := readPid(t, ns, "late")
	if alive(pid) {
		t.Fatalf("process %d alive after the deadline", pid)
	}
	if st := p.Status.ContainerStatuses[0].State.Terminated; st == nil {
		t.Fatalf("container not terminated: %s", describe(p))
	}
}

const whoamiScript = `import os, ssl, json, urllib.request, urllib.error
d = "/var/run/secrets/kubernetes.io/serviceaccount"
ctx = ssl.create_default_context(cafile=d + "/ca.crt")
tok = open(d + "/token").read()
base = "https://%s:%s" % (os.environ["KUBERNETES_SERVICE_HOST"], os.environ["KUBERNETES_SERVICE_PORT"])
ns = open(d + "/namespace").read()
req = urllib.request.Request(base + "/apis/authentication.k8s.io/v1/selfsubjectreviews",
    data=json.dumps({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}).encode(),
    headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"}, method="POST")
print("user=" + json.loads(urllib.request.urlopen(req, context=ctx).read())["status"]["userInfo"]["username"])
try:
    urllib.request.urlopen(urllib.request.Request(base + "/api/v1/namespaces/%s/secrets" % ns, headers={"Authorization": "Bearer " + tok}), context=ctx)
    print("secrets=allowed")
except urllib.error.HTTPError as e:
    print("secrets=%d %s" % (e.code, json.loads(e.read())["message"]))
print("ns=" + ns)
`

func TestServiceAccountTokenAuthenticates(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	ctx := context.Background()
	if _, err := client.CoreV1().ServiceAccounts(ns).Create(ctx, &v1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "robot"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := pythonPod("whoami", whoamiScript)
	pod.Spec.ServiceAccountName = "robot"
	createPod(t, ns, pod)
	p := waitPod(t, ns, "whoami", time.Minute, "terminal", terminal)
	out := logs(t, ns, "whoami", &v1.PodLogOptions{})
	if p.Status.Phase != v1.PodSucceeded {
		t.Fatalf("pod: %s\n%s", describe(p), out)
	}
	user := "system:serviceaccount:" + ns + ":robot"
	if !strings.Contains(out, "user="+user+"\n") {
		t.Fatalf("want user=%s in %q", user, out)
	}
	if !strings.Contains(out, "secrets=403") || !strings.Contains(out, `User "`+user+`" cannot list resource "secrets"`) {
		t.Fatalf("want a 403 naming %s in %q", user, out)
	}
	// The auto-mounted volume is the standard kube-api-access-* projected volume.
	found := false
	for _, v := range p.Spec.Volumes {
		if strings.HasPrefix(v.Name, "kube-api-access-") && v.Projected != nil {
			found = true
		}
	}
	if !found {
		t.Fatalf("no kube-api-access projected volume in %+v", p.Spec.Volumes)
	}
}

func TestAutomountDisabled(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	pod := pythonPod("noauto", `import os; print("exists=%s" % os.path.exists("/var/run/secrets/kubernetes.io/serviceaccount/token"))`)
	pod.Spec.AutomountServiceAccountToken = ptrTo(false)
	createPod(t, ns, pod)
	p := waitPod(t, ns, "noauto", time.Minute, "terminal", terminal)
	if out := logs(t, ns, "noauto", &v1.PodLogOptions{}); p.Status.Phase != v1.PodSucceeded || out != "exists=False\n" {
		t.Fatalf("pod %s, output %q", describe(p), out)
	}
}

func TestLogsFollow(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	// 300 numbered lines over ~3s on stdout and stderr, with a 1 MiB line in the middle.
	script := `import sys, time
for i in range(300):
    if i == 150:
        sys.stdout.write("big:" + "x" * (1 << 20) + ":end\n"); sys.stdout.flush()
    stream = sys.stderr if i % 10 == 9 else sys.stdout
    stream.write("line %05d\n" % i); stream.flush()
    if i % 3 == 0: time.sleep(0.03)
print("done")
`
	createPod(t, ns, pythonPod("chatty", script))
	// Follow as soon as the container started.
	waitPod(t, ns, "chatty", time.Minute, "started", func(p *v1.Pod) bool {
		return len(p.Status.ContainerStatuses) > 0 && (p.Status.ContainerStatuses[0].State.Running != nil || p.Status.ContainerStatuses[0].State.Terminated != nil)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	t0 := time.Now()
	rc, err := client.CoreV1().Pods(ns).GetLogs("chatty", &v1.PodLogOptions{Follow: true}).Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 64<<10)
	var lines []string
	var firstAt time.Duration
	for {
		l, err := br.ReadString('\n')
		if l != "" {
			if firstAt == 0 {
				firstAt = time.Since(t0)
			}
			lines = append(lines, strings.TrimSuffix(l, "\n"))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
	}
	el := time.Since(t0)
	if ctx.Err() != nil {
		t.Fatalf("follow did not end when the container ended")
	}
	// all lines, in order per stream, no duplicates, the big one intact
	want := 302
	if len(lines) != want {
		t.Fatalf("got %d lines, want %d", len(lines), want)
	}
	// stdout and stderr share one pipe: the order is exact across both
	next := 0
	sawBig := false
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "big:"):
			if len(l) != 4+(1<<20)+4 || !strings.HasSuffix(l, ":end") || strings.Trim(l[4:len(l)-4], "x") != "" {
				t.Fatalf("big line damaged (len %d)", len(l))
			}
			sawBig = true
		case l == "done":
		default:
			if l != fmt.Sprintf("line %05d", next) {
				t.Fatalf("line %d: got %q", next, l)
			}
			next++
		}
	}
	if !sawBig || next != 300 {
		t.Fatalf("big=%v next=%d", sawBig, next)
	}
	if firstAt > 2*time.Second {
		t.Errorf("first line arrived after %s: not streamed", firstAt)
	}
	t.Logf("followed %d lines in %s (first after %s)", len(lines), el.Round(time.Millisecond), firstAt.Round(time.Millisecond))
	// tail and since work too
	if tail := logs(t, ns, "chatty", &v1.PodLogOptions{TailLines: ptrTo(int64(2))}); tail != "line 00299\ndone\n" {
		t.Fatalf("tail 2: %q", tail)
	}
	future := metav1.NewTime(time.Now().Add(time.Hour))
	if s := logs(t, ns, "chatty", &v1.PodLogOptions{SinceTime: &future}); s != "" {
		t.Fatalf("sinceTime in the future: %q", s[:min(len(s), 100)])
	}
}

func TestLogsFollowLongRunning(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	// Lines arrive while the client follows; the stream must deliver each promptly.
	createPod(t, ns, pythonPod("slow", `import time
for i in range(5):
    print("tick %d %f" % (i, time.time()), flush=True); time.sleep(0.5)`))
	waitPod(t, ns, "slow", time.Minute, "Running", func(p *v1.Pod) bool { return p.Status.Phase != v1.PodPending })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rc, err := client.CoreV1().Pods(ns).GetLogs("slow", &v1.PodLogOptions{Follow: true}).Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	n := 0
	var maxLag float64
	for sc.Scan() {
		var i int
		var ts float64
		if _, err := fmt.Sscanf(sc.Text(), "tick %d %f", &i, &ts); err != nil || i != n {
			t.Fatalf("line %q (want tick %d)", sc.Text(), n)
		}
		if n > 0 { // the first may be replayed from the file
			lag := float64(time.Now().UnixNano())/1e9 - ts
			maxLag = max(maxLag, lag)
		}
		n++
	}
	if n != 5 {
		t.Fatalf("got %d ticks", n)
	}
	if maxLag > 1.0 {
		t.Fatalf("lines arrived up to %.2fs after being written", maxLag)
	}
	t.Logf("max follow lag %.0f ms", maxLag*1000)
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	hp := pythonPod("hostpath", `print(1)`)
	hp.Spec.Volumes = []v1.Volume{{Name: "h", VolumeSource: v1.VolumeSource{HostPath: &v1.HostPathVolumeSource{Path: "/etc"}}}}
	hp.Spec.Containers[0].VolumeMounts = []v1.VolumeMount{{Name: "h", MountPath: "/h"}}
	createPod(t, ns, hp)
	priv := pythonPod("privileged", `print(1)`)
	priv.Spec.SecurityContext = nil
	priv.Spec.Containers[0].SecurityContext = &v1.SecurityContext{Privileged: ptrTo(true)}
	createPod(t, ns, priv)
	nf := pythonPod("notfound", "")
	nf.Spec.Containers[0].Command = []string{"no-such-command-devcluster", "--flag"}
	createPod(t, ns, nf)

	p := waitPod(t, ns, "hostpath", time.Minute, "terminal", terminal)
	if p.Status.Phase != v1.PodFailed || p.Status.Reason != "Unsupported" || !strings.Contains(p.Status.Message, "hostPath") {
		t.Fatalf("hostPath pod: %s", describe(p))
	}
	p = waitPod(t, ns, "privileged", time.Minute, "terminal", terminal)
	if p.Status.Phase != v1.PodFailed || p.Status.Reason != "Unsupported" || !strings.Contains(p.Status.Message, "privileged") {
		t.Fatalf("privileged pod: %s", describe(p))
	}
	p = waitPod(t, ns, "notfound", time.Minute, "terminal", terminal)
	st := p.Status.ContainerStatuses[0].State.Terminated
	if p.Status.Phase != v1.PodFailed || st == nil || st.Reason != "StartError" || !strings.Contains(st.Message, "no-such-command-devcluster") {
		t.Fatalf("command-not-found pod: %s", describe(p))
	}
	for _, name := range []string{"hostpath", "privileged", "notfound"} {
		eventually(t, 20*time.Second, "warning event for "+name, func() error {
			for _, e := range events(t, ns, name) {
				if e.Type == v1.EventTypeWarning {
					return nil
				}
			}
			return fmt.Errorf("no warning event")
		})
	}
}

func TestRestartOnFailure(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	pod := pythonPod("flaky", `import os, sys
m = "/scratch/ran"
if not os.path.exists(m):
    open(m, "w").close(); print("first run fails"); sys.exit(1)
print("second run succeeds")`)
	pod.Spec.RestartPolicy = v1.RestartPolicyOnFailure
	pod.Spec.Volumes = []v1.Volume{{Name: "scratch", VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{}}}}
	pod.Spec.Containers[0].VolumeMounts = []v1.VolumeMount{{Name: "scratch", MountPath: "/scratch"}}
	createPod(t, ns, pod)
	p := waitPod(t, ns, "flaky", 2*time.Minute, "terminal", terminal)
	cs := p.Status.ContainerStatuses[0]
	if p.Status.Phase != v1.PodSucceeded || cs.RestartCount != 1 || cs.LastTerminationState.Terminated == nil || cs.LastTerminationState.Terminated.ExitCode != 1 {
		t.Fatalf("want Succeeded after one restart: %s", describe(p))
	}
	if out := logs(t, ns, "flaky", &v1.PodLogOptions{}); out != "second run succeeds\n" {
		t.Fatalf("current logs %q", out)
	}
	if out := logs(t, ns, "flaky", &v1.PodLogOptions{Previous: true}); out != "first run fails\n" {
		t.Fatalf("previous logs %q", out)
	}
}

func TestInitContainersRunInOrder(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	pod := pythonPod("inits", `print(open("/shared/order").read().strip())`)
	pod.Spec.Volumes = []v1.Volume{{Name: "shared", VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{}}}}
	mounts := []v1.VolumeMount{{Name: "shared", MountPath: "/shared"}}
	pod.Spec.Containers[0].VolumeMounts = mounts
	for _, n := range []string{"first", "second"} {
		c := *pod.Spec.Containers[0].DeepCopy()
		c.Name = n
		c.Command = []string{"sh", "-c", "sleep 0.2; echo " + n + " >> /shared/order"}
		pod.Spec.InitContainers = append(pod.Spec.InitContainers, c)
	}
	createPod(t, ns, pod)
	p := waitPod(t, ns, "inits", time.Minute, "terminal", terminal)
	if out := logs(t, ns, "inits", &v1.PodLogOptions{}); p.Status.Phase != v1.PodSucceeded || out != "first\nsecond\n" {
		t.Fatalf("pod %s output %q", describe(p), out)
	}
	for _, s := range p.Status.InitContainerStatuses {
		if s.State.Terminated == nil || s.State.Terminated.Reason != "Completed" {
			t.Fatalf("init status: %s", describe(p))
		}
	}
	// A failing init container fails a restartPolicy Never Pod; the main container never runs.
	bad := pythonPod("badinit", `print("must not run")`)
	bad.Spec.InitContainers = []v1.Container{{Name: "fail", Image: "busybox", Command: []string{"sh", "-c", "exit 7"}}}
	createPod(t, ns, bad)
	p = waitPod(t, ns, "badinit", time.Minute, "terminal", terminal)
	if p.Status.Phase != v1.PodFailed || p.Status.InitContainerStatuses[0].State.Terminated == nil || p.Status.InitContainerStatuses[0].State.Terminated.ExitCode != 7 || p.Status.ContainerStatuses[0].State.Terminated != nil {
		t.Fatalf("bad init: %s", describe(p))
	}
}

func TestPodStartLatencyAndResources(t *testing.T) {
	ns := namespace(t)
	var lat []time.Duration
	for i := 0; i < 5; i++ {
		name := fmt.Sprintf("date-%d", i)
		pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.PodSpec{RestartPolicy: v1.RestartPolicyNever,
			Containers: []v1.Container{{Name: "c", Image: "busybox", Command: []string{"date", "+%s.%N"}}}}}
		t0 := time.Now()
		createPod(t, ns, pod)
		waitPod(t, ns, name, time.Minute, "terminal", terminal)
		out := strings.TrimSpace(logs(t, ns, name, &v1.PodLogOptions{}))
		f, err := strconv.ParseFloat(out, 64)
		if err != nil {
			t.Fatalf("output %q", out)
		}
		lat = append(lat, time.Duration(f*1e9)-time.Duration(t0.UnixNano()))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("pod creation -> process exec latency: min %s median %s max %s", lat[0].Round(time.Millisecond), lat[2].Round(time.Millisecond), lat[4].Round(time.Millisecond))
	if lat[2] > 5*time.Second {
		t.Errorf("median start latency %s is too slow", lat[2])
	}
	var total int64
	for _, c := range []string{"ETCD", "KUBE_APISERVER", "KUBE_CONTROLLER_MANAGER", "NODE_AGENT"} {
		pid, _ := strconv.Atoi(env["DEVCLUSTER_"+c+"_PID"])
		r := rss(pid)
		if r == 0 {
			t.Errorf("component %s (pid %d) is not running", c, pid)
		}
		total += r
		t.Logf("RSS %-24s %6d MiB", c, r/1024)
	}
	t.Logf("RSS total %d MiB", total/1024)
}

// A missing ConfigMap keeps the Pod waiting with a clear reason (as kubelet
// does), and it starts once the ConfigMap exists.
func TestMissingConfigWaitsThenRuns(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	ctx := context.Background()
	pod := pythonPod("patient", `import os; print(os.environ["GREETING"], open("/cfg/greeting").read())`)
	pod.Spec.Containers[0].Env = []v1.EnvVar{{Name: "GREETING", ValueFrom: &v1.EnvVarSource{ConfigMapKeyRef: &v1.ConfigMapKeySelector{LocalObjectReference: v1.LocalObjectReference{Name: "later"}, Key: "greeting"}}}}
	pod.Spec.Volumes = []v1.Volume{{Name: "cfg", VolumeSource: v1.VolumeSource{ConfigMap: &v1.ConfigMapVolumeSource{LocalObjectReference: v1.LocalObjectReference{Name: "later"}}}}}
	pod.Spec.Containers[0].VolumeMounts = []v1.VolumeMount{{Name: "cfg", MountPath: "/cfg"}}
	createPod(t, ns, pod)
	eventually(t, 30*time.Second, "FailedMount event", func() error {
		for _, e := range events(t, ns, "patient") {
			if e.Reason == "FailedMount" && strings.Contains(e.Message, `configmap "later" not found`) {
				return nil
			}
		}
		return fmt.Errorf("no FailedMount event")
	})
	p, _ := client.CoreV1().Pods(ns).Get(ctx, "patient", metav1.GetOptions{})
	if p.Status.Phase != v1.PodPending || p.Status.ContainerStatuses[0].State.Waiting == nil {
		t.Fatalf("want Pending/waiting: %s", describe(p))
	}
	_, err := client.CoreV1().ConfigMaps(ns).Create(ctx, &v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "later"}, Data: map[string]string{"greeting": "hi"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p = waitPod(t, ns, "patient", time.Minute, "terminal", terminal)
	if out := logs(t, ns, "patient", &v1.PodLogOptions{}); p.Status.Phase != v1.PodSucceeded || out != "hi hi\n" {
		t.Fatalf("pod %s, output %q", describe(p), out)
	}
}

// restartPolicy Always: a crashing container is restarted with a growing
// back-off and shows CrashLoopBackOff.
func TestRestartAlwaysCrashLoop(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	pod := pythonPod("crasher", `print("crash"); raise SystemExit(2)`)
	pod.Spec.RestartPolicy = v1.RestartPolicyAlways
	createPod(t, ns, pod)
	p := waitPod(t, ns, "crasher", time.Minute, "CrashLoopBackOff after a restart", func(p *v1.Pod) bool {
		if len(p.Status.ContainerStatuses) == 0 {
			return false
		}
		cs := p.Status.ContainerStatuses[0]
		return cs.RestartCount >= 1 && cs.State.Waiting != nil && cs.State.Waiting.Reason == "CrashLoopBackOff"
	})
	cs := p.Status.ContainerStatuses[0]
	if p.Status.Phase != v1.PodRunning || cs.LastTerminationState.Terminated == nil || cs.LastTerminationState.Terminated.ExitCode != 2 {
		t.Fatalf("want Running with last exit 2: %s", describe(p))
	}
}

// A sidecar (init container with restartPolicy Always) runs alongside the
// containers and is stopped when they are done; the Pod then Succeeds.
func TestSidecarStoppedAfterMain(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	pod := pythonPod("withsidecar", `import time; time.sleep(1); print(open("/shared/side").read().strip())`)
	pod.Spec.Volumes = []v1.Volume{{Name: "shared", VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{}}}}
	pod.Spec.Containers[0].VolumeMounts = []v1.VolumeMount{{Name: "shared", MountPath: "/shared"}}
	side := *pod.Spec.Containers[0].DeepCopy()
	side.Name = "side"
	side.RestartPolicy = ptrTo(v1.ContainerRestartPolicyAlways)
	side.Command = []string{"sh", "-c", "echo sidecar-was-here > /shared/side; while true; do sleep 0.2; done"}
	pod.Spec.InitContainers = []v1.Container{side}
	createPod(t, ns, pod)
	p := waitPod(t, ns, "withsidecar", time.Minute, "terminal", terminal)
	if out := logs(t, ns, "withsidecar", &v1.PodLogOptions{Container: "main"}); p.Status.Phase != v1.PodSucceeded || out != "sidecar-was-here\n" {
		t.Fatalf("pod %s, output %q", describe(p), out)
	}
	if st := p.Status.InitContainerStatuses[0].State.Terminated; st == nil {
		t.Fatalf("sidecar not terminated once the Pod finished: %s", describe(p))
	}
}
