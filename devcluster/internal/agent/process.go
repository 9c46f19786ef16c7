package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"hero-logic/devcluster/internal/ctrinit"
)

// DefaultPath is the PATH of every container process unless its env sets one.
const DefaultPath = "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"

var supportedVolumes = "configMap, secret, emptyDir, downwardAPI, projected"

// refuse tells whether the Pod asks for something the agent cannot do.
func refuse(pod *v1.Pod) (reason, msg string) {
	for _, v := range pod.Spec.Volumes {
		vs := v.VolumeSource
		if vs.ConfigMap != nil || vs.Secret != nil || vs.EmptyDir != nil || vs.DownwardAPI != nil || vs.Projected != nil {
			if vs.Projected != nil {
				for _, s := range vs.Projected.Sources {
					if s.ClusterTrustBundle != nil || s.PodCertificate != nil {
						return "Unsupported", fmt.Sprintf("projected volume %q has a clusterTrustBundle/podCertificate source (supported: configMap, secret, downwardAPI, serviceAccountToken)", v.Name)
					}
				}
			}
			continue
		}
		return "Unsupported", fmt.Sprintf("volume %q has type %s (supported: %s)", v.Name, volumeType(vs), supportedVolumes)
	}
	all := append(append([]v1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...)
	for _, c := range all {
		if sc := c.SecurityContext; sc != nil && sc.Privileged != nil && *sc.Privileged {
			return "Unsupported", fmt.Sprintf("container %q is privileged", c.Name)
		}
		if len(c.VolumeDevices) > 0 {
			return "Unsupported", fmt.Sprintf("container %q uses volumeDevices", c.Name)
		}
		if len(c.Command) == 0 && len(c.Args) == 0 {
			return "Unsupported", fmt.Sprintf("container %q has neither command nor args: images are not pulled, host commands run instead, so the image's entrypoint is unknown", c.Name)
		}
		for _, m := range c.VolumeMounts {
			if !path.IsAbs(m.MountPath) {
				return "Unsupported", fmt.Sprintf("container %q: mountPath %q is not absolute", c.Name, m.MountPath)
			}
		}
	}
	// Ports: every Pod shares the host's network, so a hostNetwork or hostPort
	// Pod needs its ports free on this machine.
	for _, c := range all {
		for _, p := range c.Ports {
			port := p.HostPort
			if pod.Spec.HostNetwork {
				port = p.ContainerPort
			}
			if port == 0 {
				continue
			}
			proto := strings.ToLower(string(p.Protocol))
			if proto == "" {
				proto = "tcp"
			}
			if !portFree(proto, int(port)) {
				return "HostPortInUse", fmt.Sprintf("container %q port %d/%s is already in use on the host", c.Name, port, strings.ToUpper(proto))
			}
		}
	}
	return "", ""
}

func portFree(proto string, port int) bool {
	addr := fmt.Sprintf(":%d", port)
	if proto == "udp" {
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			return false
		}
		c.Close()
		return true
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func volumeType(vs v1.VolumeSource) string {
	b, _ := json.Marshal(vs)
	var m map[string]json.RawMessage
	json.Unmarshal(b, &m)
	for k := range m {
		return k
	}
	return "unknown"
}

// identity returns the uid/gid/groups a container runs as.
func identity(pod *v1.Pod, c *v1.Container) (uid, gid *int64, groups []uint32, nonRoot bool) {
	psc := pod.Spec.SecurityContext
	if psc != nil {
		uid, gid = psc.RunAsUser, psc.RunAsGroup
		if psc.RunAsNonRoot != nil {
			nonRoot = *psc.RunAsNonRoot
		}
		for _, g := range psc.SupplementalGroups {
			groups = append(groups, uint32(g))
		}
		if psc.FSGroup != nil {
			groups = append(groups, uint32(*psc.FSGroup))
		}
	}
	if sc := c.SecurityContext; sc != nil {
		if sc.RunAsUser != nil {
			uid = sc.RunAsUser
		}
		if sc.RunAsGroup != nil {
			gid = sc.RunAsGroup
		}
		if sc.RunAsNonRoot != nil {
			nonRoot = *sc.RunAsNonRoot
		}
	}
	return
}

// passwdEntry looks a uid up in the host's /etc/passwd: (gid, home).
func passwdEntry(uid int64) (int64, string, bool) {
	f, err := os.Open("/etc/passwd")
	if err != nil {
		return 0, "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Split(sc.Text(), ":")
		if len(p) < 7 {
			continue
		}
		if u, err := strconv.ParseInt(p[2], 10, 64); err == nil && u == uid {
			g, _ := strconv.ParseInt(p[3], 10, 64)
			return g, p[5], true
		}
	}
	return 0, "", false
}

// configError is a problem with the container's configuration that may go
// away (a missing ConfigMap or key): the container waits, like with kubelet.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

// startProcess starts one attempt of a container. A returned error is a
// configuration error (retry later); a start failure is a run with reason StartError.
func (w *podWorker) startProcess(pod *v1.Pod, c *ctrState, attempt int) (*run, error) {
	spec := &c.spec
	uidp, gidp, groups, nonRoot := identity(pod, spec)
	uid := int64(0)
	if uidp != nil {
		uid = *uidp
	}
	if nonRoot && uid == 0 {
		if uidp == nil {
			return nil, &configError{"container has runAsNonRoot and image will run as root (pod: \"" + w.name + "_" + w.ns + "(" + string(w.uid) + ")\", container: " + spec.Name + "): devcluster does not read images, set runAsUser"}
		}
		return nil, &configError{"container's runAsUser breaks non-root policy (pod: \"" + w.name + "_" + w.ns + "(" + string(w.uid) + ")\", container: " + spec.Name + ")"}
	}
	pgid, home, found := passwdEntry(uid)
	gid := int64(0)
	if found {
		gid = pgid
	}
	if gidp != nil {
		gid = *gidp
	}
	if home == "" || home == "/nonexistent" {
		home = "/"
	}
	env, err := w.buildEnv(pod, spec, home)
	if err != nil {
		return nil, err
	}
	mounts, err := w.containerMounts(pod, spec, env)
	if err != nil {
		return nil, err
	}
	argv := append(append([]string{}, spec.Command...), spec.Args...)
	lookup := envMap(env)
	for i := range argv {
		argv[i] = expand(argv[i], lookup)
	}
	ctrDir := filepath.Join(w.dir, "containers", fmt.Sprintf("%s-%d", spec.Name, attempt))
	if err := os.MkdirAll(filepath.Join(ctrDir, "root"), 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(w.dir, "logs"), 0o755); err != nil {
		return nil, err
	}
	noNewPrivs := false
	roRoot := false
	if sc := spec.SecurityContext; sc != nil {
		noNewPrivs = sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation
		roRoot = sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem
	}
	cs := ctrinit.Spec{
		Root:         filepath.Join(ctrDir, "root"),
		ReadOnlyRoot: roRoot,
		Mounts:       mounts,
		WorkingDir:   spec.WorkingDir,
		SetUser:      true,
		UID:          uint32(uid),
		GID:          uint32(gid),
		Groups:       groups,
		NoNewPrivs:   noNewPrivs,
		Argv:         argv,
		Env:          env,
		Nice:         w.a.cfg.PodNice,
	}
	specPath := filepath.Join(ctrDir, "spec.json")
	b, _ := json.Marshal(cs)
	if err := os.WriteFile(specPath, b, 0o600); err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.seq++
	w.mu.Unlock()
	r := &run{
		attempt:     attempt,
		containerID: fmt.Sprintf("devcluster://%s-%s-%d", w.uid, spec.Name, attempt),
		exited:      make(chan struct{}),
	}
	logPath := filepath.Join(w.dir, "logs", fmt.Sprintf("%s-%d.log", spec.Name, attempt))
	lf, err := newLogFile(logPath)
	if err != nil {
		return nil, err
	}
	r.log = lf
	startErr := func(msg string) (*run, error) {
		now := time.Now()
		r.started, r.finished = now, now
		r.exitCode = ctrinit.ExitStartError
		r.reason = "StartError"
		r.message = msg
		lf.close()
		close(r.exited)
		return r, nil
	}
	// stdout and stderr share one pipe, so their interleaving is kept exactly
	// (two pipes would let lines of one stream overtake the other's).
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	statR, statW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, err
	}
	cmd := exec.Command(w.a.self, "ctr-init", specPath)
	cmd.Env = []string{}
	cmd.Stdin = nil
	cmd.Stdout, cmd.Stderr = outW, outW
	cmd.ExtraFiles = []*os.File{statW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Unshareflags: syscall.CLONE_NEWNS}
	startedAt := time.Now()
	err = cmd.Start()
	outW.Close()
	statW.Close()
	if err != nil {
		outR.Close()
		statR.Close()
		return startErr(fmt.Sprintf("failed to start container process: %v", err))
	}
	r.pid = cmd.Process.Pid
	r.pidStart = procStartTicks(r.pid)
	pidFile := filepath.Join(w.a.cfg.RootDir, "pids", strconv.Itoa(r.pid))
	os.WriteFile(pidFile, []byte(strconv.FormatUint(r.pidStart, 10)), 0o644)
	var pumps sync.WaitGroup
	pumps.Add(1)
	go lf.pump(outR, "stdout", func() { outR.Close(); pumps.Done() })
	// EOF on the status pipe: exec succeeded; data: ctr-init's error message.
	msg, _ := io.ReadAll(statR)
	statR.Close()
	r.started = startedAt
	r.running = true
	failedStart := len(msg) > 0
	go func() {
		err := cmd.Wait()
		ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if err != nil && cmd.ProcessState == nil {
			ws = syscall.WaitStatus(255 << 8)
		}
		// The container's main process is gone: kill what is left of its group
		// (a container runtime kills the whole container), then drain the pipes.
		syscall.Kill(-r.pid, syscall.SIGKILL)
		done := make(chan struct{})
		go func() { pumps.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			// a grandchild escaped the group and holds the pipe: stop reading
			outR.Close()
			<-done
		}
		lf.close()
		os.Remove(pidFile)
		if failedStart {
			w.mu.Lock()
			r.running = false
			r.finished = time.Now()
			r.exitCode = ctrinit.ExitStartError
			r.reason = "StartError"
			r.message = strings.TrimSpace(string(msg))
			w.mu.Unlock()
			close(r.exited)
			w.poke()
			return
		}
		w.onExit(r, ws)
	}()
	if failedStart {
		<-r.exited
		return r, nil
	}
	log.Printf("pod %s/%s: container %s started (pid %d, attempt %d, uid %d)", w.ns, w.name, spec.Name, r.pid, attempt, uid)
	return r, nil
}

func procStartTicks(pid int) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0
	}
	n, _ := strconv.ParseUint(f[19], 10, 64)
	return n
}

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// expand replaces $(VAR) references as Kubernetes does: $$ escapes, unknown
// references are left as they are.
func expand(s string, env map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			j := strings.IndexByte(s[i+2:], ')')
			if j < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+2+j]
			if v, ok := env[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+j])
			}
			i += 2 + j
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

type envList struct {
	keys []string
	vals map[string]string
}

func (e *envList) set(k, v string) {
	if e.vals == nil {
		e.vals = map[string]string{}
	}
	if _, ok := e.vals[k]; !ok {
		e.keys = append(e.keys, k)
	}
	e.vals[k] = v
}

func (e *envList) list() []string {
	out := make([]string, 0, len(e.keys))
	for _, k := range e.keys {
		out = append(out, k+"="+e.vals[k])
	}
	return out
}

// buildEnv computes the container's environment like kubelet: service
// variables for the API server, envFrom, then env (with $(VAR) expansion).
func (w *podWorker) buildEnv(pod *v1.Pod, c *v1.Container, home string) ([]string, error) {
	ctx := context.Background()
	e := &envList{}
	e.set("PATH", DefaultPath)
	e.set("HOSTNAME", pod.Name)
	api := strconv.Itoa(w.a.cfg.APIPort)
	host := w.a.cfg.APIHost
	if host == "" {
		host = "127.0.0.1"
	}
	e.set("KUBERNETES_SERVICE_HOST", host)
	e.set("KUBERNETES_SERVICE_PORT", api)
	e.set("KUBERNETES_SERVICE_PORT_HTTPS", api)
	e.set("KUBERNETES_PORT", "tcp://"+host+":"+api)
	e.set("KUBERNETES_PORT_443_TCP", "tcp://"+host+":"+api)
	e.set("KUBERNETES_PORT_443_TCP_PROTO", "tcp")
	e.set("KUBERNETES_PORT_443_TCP_PORT", api)
	e.set("KUBERNETES_PORT_443_TCP_ADDR", host)
	for _, ef := range c.EnvFrom {
		var data map[string]string
		switch {
		case ef.ConfigMapRef != nil:
			cm, err := w.a.client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, ef.ConfigMapRef.Name, metav1.GetOptions{})
			if err != nil {
				if apierrors.IsNotFound(err) && ef.ConfigMapRef.Optional != nil && *ef.ConfigMapRef.Optional {
					continue
				}
				return nil, &configError{fmt.Sprintf("configmap %q not found", ef.ConfigMapRef.Name)}
			}
			data = cm.Data
		case ef.SecretRef != nil:
			s, err := w.a.client.CoreV1().Secrets(pod.Namespace).Get(ctx, ef.SecretRef.Name, metav1.GetOptions{})
			if err != nil {
				if apierrors.IsNotFound(err) && ef.SecretRef.Optional != nil && *ef.SecretRef.Optional {
					continue
				}
				return nil, &configError{fmt.Sprintf("secret %q not found", ef.SecretRef.Name)}
			}
			data = map[string]string{}
			for k, v := range s.Data {
				data[k] = string(v)
			}
		}
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			name := ef.Prefix + k
			if len(validation.IsEnvVarName(name)) > 0 {
				continue
			}
			e.set(name, data[k])
		}
	}
	for _, ev := range c.Env {
		if ev.ValueFrom == nil {
			e.set(ev.Name, expand(ev.Value, e.vals))
			continue
		}
		v, skip, err := w.envValueFrom(ctx, pod, c, ev.ValueFrom)
		if err != nil {
			return nil, err
		}
		if !skip {
			e.set(ev.Name, v)
		}
	}
	if _, ok := e.vals["HOME"]; !ok {
		e.set("HOME", home)
	}
	return e.list(), nil
}

func (w *podWorker) envValueFrom(ctx context.Context, pod *v1.Pod, c *v1.Container, vf *v1.EnvVarSource) (string, bool, error) {
	switch {
	case vf.FieldRef != nil:
		v, err := fieldValue(pod, vf.FieldRef.FieldPath)
		if err != nil {
			return "", false, &configError{err.Error()}
		}
		return v, false, nil
	case vf.ResourceFieldRef != nil:
		v, err := w.resourceValue(pod, c.Name, vf.ResourceFieldRef)
		if err != nil {
			return "", false, &configError{err.Error()}
		}
		return v, false, nil
	case vf.ConfigMapKeyRef != nil:
		ref := vf.ConfigMapKeyRef
		optional := ref.Optional != nil && *ref.Optional
		cm, err := w.a.client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) && optional {
				return "", true, nil
			}
			return "", false, &configError{fmt.Sprintf("configmap %q not found", ref.Name)}
		}
		if v, ok := cm.Data[ref.Key]; ok {
			return v, false, nil
		}
		if v, ok := cm.BinaryData[ref.Key]; ok {
			return string(v), false, nil
		}
		if optional {
			return "", true, nil
		}
		return "", false, &configError{fmt.Sprintf("couldn't find key %s in ConfigMap %s/%s", ref.Key, pod.Namespace, ref.Name)}
	case vf.SecretKeyRef != nil:
		ref := vf.SecretKeyRef
		optional := ref.Optional != nil && *ref.Optional
		s, err := w.a.client.CoreV1().Secrets(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) && optional {
				return "", true, nil
			}
			return "", false, &configError{fmt.Sprintf("secret %q not found", ref.Name)}
		}
		if v, ok := s.Data[ref.Key]; ok {
			return string(v), false, nil
		}
		if optional {
			return "", true, nil
		}
		return "", false, &configError{fmt.Sprintf("couldn't find key %s in Secret %s/%s", ref.Key, pod.Namespace, ref.Name)}
	case vf.FileKeyRef != nil:
		return "", false, &configError{"env valueFrom.fileKeyRef is not supported by devcluster"}
	}
	return "", false, &configError{"unsupported env valueFrom"}
}

func formatMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(k + "=" + strconv.Quote(m[k]))
	}
	return b.String()
}

// fieldValue resolves a downward API fieldPath.
func fieldValue(pod *v1.Pod, fp string) (string, error) {
	if strings.HasPrefix(fp, "metadata.labels['") && strings.HasSuffix(fp, "']") {
		return pod.Labels[fp[len("metadata.labels['"):len(fp)-2]], nil
	}
	if strings.HasPrefix(fp, "metadata.annotations['") && strings.HasSuffix(fp, "']") {
		return pod.Annotations[fp[len("metadata.annotations['"):len(fp)-2]], nil
	}
	switch fp {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "metadata.labels":
		return formatMap(pod.Labels), nil
	case "metadata.annotations":
		return formatMap(pod.Annotations), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.hostIP", "status.podIP", "status.hostIPs", "status.podIPs":
		return "127.0.0.1", nil
	}
	return "", fmt.Errorf("unsupported fieldPath %q", fp)
}

func (w *podWorker) resourceValue(pod *v1.Pod, defaultCtr string, ref *v1.ResourceFieldSelector) (string, error) {
	name := ref.ContainerName
	if name == "" {
		name = defaultCtr
	}
	var ctr *v1.Container
	for _, c := range append(append([]v1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
		if c.Name == name {
			c := c
			ctr = &c
		}
	}
	if ctr == nil {
		return "", fmt.Errorf("container %q not found for resourceFieldRef", name)
	}
	kind, res, ok := strings.Cut(ref.Resource, ".")
	if !ok {
		return "", fmt.Errorf("unsupported resource %q", ref.Resource)
	}
	rn := v1.ResourceName(res)
	var q resource.Quantity
	var have bool
	if kind == "limits" {
		q, have = ctr.Resources.Limits[rn]
	} else {
		q, have = ctr.Resources.Requests[rn]
		if !have && kind == "requests" {
			// requests default to 0 if unset, except when a limit defaults it
			if l, ok := ctr.Resources.Limits[rn]; ok {
				q, have = l, true
			} else {
				return "0", nil
			}
		}
	}
	if !have {
		alloc := w.a.nodeCapacity()
		q = alloc[rn]
	}
	div := ref.Divisor
	if div.IsZero() {
		div = resource.MustParse("1")
	}
	if rn == v1.ResourceCPU {
		v := (q.MilliValue() + div.MilliValue() - 1) / div.MilliValue()
		return strconv.FormatInt(v, 10), nil
	}
	v := (q.Value() + div.Value() - 1) / div.Value()
	return strconv.FormatInt(v, 10), nil
}
