// Package cluster starts, checks and stops one devcluster: etcd, kube-apiserver,
// kube-controller-manager and the node agent, as detached local processes.
package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"hero-logic/devcluster/internal/pki"
)

// Options configure Up.
type Options struct {
	StateDir  string
	Etcd      string // binary paths
	APIServer string
	KCM       string
	Self      string // this binary (runs the agent and the watchdog)
	NodeName  string
	Timeout   time.Duration
	Verbose   bool
	PodNice   int // niceness of the Pods' processes (0-19), given to the node agent
	// Profiling serves the kube-apiserver's /debug/pprof (off by default, as a production cluster
	// has it): a benchmark can then see where the API server's CPU goes.
	Profiling bool
}

// Component names, in start order.
var Components = []string{"etcd", "kube-apiserver", "kube-controller-manager", "node-agent"}

func envKey(component, suffix string) string {
	return "DEVCLUSTER_" + strings.ToUpper(strings.NewReplacer("-", "_").Replace(component)) + "_" + suffix
}

type proc struct {
	name  string
	cmd   *exec.Cmd
	log   string
	pid   int
	start uint64
	exit  chan error // receives the Wait result
}

type starter struct {
	opts  Options
	env   Env
	procs []*proc
	t0    time.Time
	// appendLogs keeps a component's earlier log (a restart) instead of starting it afresh.
	appendLogs bool
}

func (s *starter) logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "devcluster: [%5.1fs] %s\n", time.Since(s.t0).Seconds(), fmt.Sprintf(format, a...))
}

// errBind marks a failure caused by a port taken between picking and binding.
var errBind = errors.New("address already in use")

// freePorts picks n ports that are free now and lie below the kernel's
// ephemeral range. A port from that range (what "127.0.0.1:0" hands out) can be
// taken as the local end of any outgoing connection while its component is
// down, and `restart` must bind the same port again: it then fails with
// "address already in use" for as long as that connection lives.
func freePorts(n int) ([]int, error) {
	low := ephemeralLow()
	const floor = 10000
	if low-floor < 1000 {
		return nil, fmt.Errorf("the ephemeral port range starts at %d: too little room below it for devcluster's ports", low)
	}
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for tries := 0; len(ports) < n; tries++ {
		if tries > 1000 {
			return nil, fmt.Errorf("no free port in [%d, %d) after %d tries", floor, low, tries)
		}
		port := floor + rand.Intn(low-floor)
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue // taken: try another
		}
		ls = append(ls, l)
		ports = append(ports, port)
	}
	return ports, nil
}

// ephemeralLow reads where the kernel's range for outgoing connections' local
// ports starts; Linux's default when it cannot be read.
func ephemeralLow() int {
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if low, err := strconv.Atoi(f[0]); err == nil {
				return low
			}
		}
	}
	return 32768
}

func (s *starter) spawn(name, bin string, args []string, extraEnv []string) (*proc, error) {
	logPath := filepath.Join(s.opts.StateDir, "logs", name+".log")
	mode := os.O_TRUNC
	if s.appendLogs {
		mode = os.O_APPEND
	}
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|mode, 0o644)
	if err != nil {
		return nil, err
	}
	defer lf.Close()
	fmt.Fprintf(lf, "# %s %s\n", bin, strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Stdin = nil
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, pid: cmd.Process.Pid, exit: make(chan error, 1)}
	p.start, _, _ = procStart(p.pid)
	go func() { p.exit <- cmd.Wait() }()
	s.procs = append(s.procs, p)
	s.env[envKey(name, "PID")] = strconv.Itoa(p.pid)
	s.env[envKey(name, "START")] = strconv.FormatUint(p.start, 10)
	s.env[envKey(name, "LOG")] = logPath
	// The command line, so that `restart` starts the component again exactly as `up` did.
	argv, _ := json.Marshal(append([]string{bin}, args...))
	s.env[envKey(name, "ARGV")] = string(argv)
	return p, nil
}

// waitFor polls check until it returns nil, the process exits or time runs out.
func (s *starter) waitFor(p *proc, what string, timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		select {
		case err := <-p.exit:
			p.exit <- err
			status := "exit status 0"
			if err != nil {
				status = err.Error()
			}
			msg := fmt.Sprintf("%s exited (%s) while waiting for %s; last lines of %s:\n%s", p.name, status, what, p.log, tail(p.log, 40))
			if strings.Contains(tail(p.log, 200), "address already in use") {
				return fmt.Errorf("%w: %s", errBind, msg)
			}
			return errors.New(msg)
		default:
		}
		if last = check(); last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: timed out after %s waiting for %s (%v); last lines of %s:\n%s", p.name, timeout, what, last, p.log, tail(p.log, 40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *starter) killAll() {
	for i := len(s.procs) - 1; i >= 0; i-- {
		p := s.procs[i]
		stopProc(p.pid, p.start, 10*time.Second)
	}
	s.procs = nil
}

func kubeconfig(server string, caPEM, certPEM, keyPEM []byte, user string) []byte {
	enc := base64.StdEncoding.EncodeToString
	return []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: devcluster
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: %s
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: devcluster
  context:
    cluster: devcluster
    user: %s
    namespace: default
current-context: devcluster
`, server, enc(caPEM), user, enc(certPEM), enc(keyPEM), user))
}

func httpClient(caPEM, certPEM, keyPEM []byte) *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cfg := &tls.Config{RootCAs: pool}
	if certPEM != nil {
		c, err := tls.X509KeyPair(certPEM, keyPEM)
		if err == nil {
			cfg.Certificates = []tls.Certificate{c}
		}
	}
	return &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}}
}

func getOK(c *http.Client, url string, want string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: HTTP %d: %s", url, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	if want != "" && !strings.Contains(string(body), want) {
		return fmt.Errorf("%s: unexpected body %q", url, body)
	}
	return nil
}

// Up starts a cluster and returns once it is ready. On failure everything it
// started is stopped and the error carries the tail of the failing component's log.
func Up(ctx context.Context, o Options) error {
	if o.NodeName == "" {
		o.NodeName = "devcluster"
	}
	if o.Timeout == 0 {
		o.Timeout = 120 * time.Second
	}
	if o.PodNice < 0 || o.PodNice > 19 {
		return fmt.Errorf("pod niceness %d: it must be 0 (the default) to 19", o.PodNice)
	}
	abs, err := filepath.Abs(o.StateDir)
	if err != nil {
		return err
	}
	o.StateDir = abs
	if err := os.MkdirAll(o.StateDir, 0o755); err != nil {
		return err
	}
	unlock, err := lockState(o.StateDir)
	if err != nil {
		return err
	}
	defer unlock()
	envPath := filepath.Join(o.StateDir, "env")
	if old, err := ReadEnv(envPath); err == nil {
		dead := deadComponents(old)
		if len(dead) == 0 {
			fmt.Fprintf(os.Stderr, "devcluster: already up at %s (KUBECONFIG=%s)\n", old["DEVCLUSTER_API_SERVER"], old["DEVCLUSTER_KUBECONFIG"])
			return nil
		}
		fmt.Fprintf(os.Stderr, "devcluster: previous cluster in %s has dead components %v; cleaning it up\n", o.StateDir, dead)
		down(o.StateDir)
	}
	for _, b := range []string{o.Etcd, o.APIServer, o.KCM, o.Self} {
		if _, err := os.Stat(b); err != nil {
			return fmt.Errorf("binary missing (run make -C devcluster build): %w", err)
		}
	}
	var lastErr error
	for attempt := 1; attempt <= 3; attempt++ {
		lastErr = upOnce(ctx, o)
		if lastErr == nil || !errors.Is(lastErr, errBind) {
			return lastErr
		}
		fmt.Fprintf(os.Stderr, "devcluster: a port was taken while starting (attempt %d), retrying with new ports\n", attempt)
	}
	return lastErr
}

func upOnce(ctx context.Context, o Options) (retErr error) {
	s := &starter{opts: o, env: Env{}, t0: time.Now()}
	if err := os.MkdirAll(filepath.Join(o.StateDir, "logs"), 0o755); err != nil {
		return err
	}
	_ = os.Remove(filepath.Join(o.StateDir, "FAILED"))
	dataDir, err := os.MkdirTemp("", "devcluster-data-")
	if err != nil {
		return err
	}
	if err := os.Chmod(dataDir, 0o755); err != nil {
		return err
	}
	defer func() {
		if retErr != nil {
			s.killAll()
			killPodProcesses(dataDir)
			os.RemoveAll(dataDir)
		}
	}()
	pkiDir := filepath.Join(dataDir, "pki")
	bundle, err := pki.Generate(o.NodeName)
	if err != nil {
		return err
	}
	if err := bundle.Write(pkiDir); err != nil {
		return err
	}
	p := func(n string) string { return filepath.Join(pkiDir, n) }
	ports, err := freePorts(5)
	if err != nil {
		return err
	}
	etcdPort, peerPort, apiPort, kcmPort, kubeletPort := ports[0], ports[1], ports[2], ports[3], ports[4]
	server := fmt.Sprintf("https://127.0.0.1:%d", apiPort)
	s.env["DEVCLUSTER_STATE_DIR"] = o.StateDir
	s.env["DEVCLUSTER_DATA_DIR"] = dataDir
	s.env["DEVCLUSTER_PKI_DIR"] = pkiDir
	s.env["DEVCLUSTER_API_SERVER"] = server
	s.env["DEVCLUSTER_API_PORT"] = strconv.Itoa(apiPort)
	s.env["DEVCLUSTER_ETCD_PORT"] = strconv.Itoa(etcdPort)
	s.env["DEVCLUSTER_ETCD_PEER_PORT"] = strconv.Itoa(peerPort)
	s.env["DEVCLUSTER_KCM_PORT"] = strconv.Itoa(kcmPort)
	s.env["DEVCLUSTER_KUBELET_PORT"] = strconv.Itoa(kubeletPort)
	s.env["DEVCLUSTER_NODE_NAME"] = o.NodeName
	s.env["DEVCLUSTER_POD_NICE"] = strconv.Itoa(o.PodNice)
	s.env["DEVCLUSTER_KUBECONFIG"] = filepath.Join(o.StateDir, "kubeconfig")

	kcs := map[string][2]string{
		"controller-manager": {"controller-manager", "system:kube-controller-manager"},
		"node":               {"node", "system:node:" + o.NodeName},
		"scheduler":          {"scheduler", "system:kube-scheduler"},
		"admin":              {"admin", "devcluster-admin"},
	}
	for file, v := range kcs {
		kc := kubeconfig(server, bundle["ca.crt"], bundle[v[0]+".crt"], bundle[v[0]+".key"], v[1])
		if err := os.WriteFile(p(file+".kubeconfig"), kc, 0o600); err != nil {
			return err
		}
	}

	// etcd
	etcd, err := s.spawn("etcd", o.Etcd, []string{
		"--name=devcluster",
		"--data-dir=" + filepath.Join(dataDir, "etcd"),
		fmt.Sprintf("--listen-client-urls=http://127.0.0.1:%d", etcdPort),
		fmt.Sprintf("--advertise-client-urls=http://127.0.0.1:%d", etcdPort),
		fmt.Sprintf("--listen-peer-urls=http://127.0.0.1:%d", peerPort),
		fmt.Sprintf("--initial-advertise-peer-urls=http://127.0.0.1:%d", peerPort),
		fmt.Sprintf("--initial-cluster=devcluster=http://127.0.0.1:%d", peerPort),
		"--initial-cluster-state=new",
		"--unsafe-no-fsync=true", // throwaway data: skip fsync for speed
		"--log-level=warn",
		"--quota-backend-bytes=2147483648",
	}, nil)
	if err != nil {
		return err
	}
	plain := &http.Client{Timeout: 2 * time.Second}
	if err := s.waitFor(etcd, "etcd /health", 30*time.Second, func() error {
		return getOK(plain, fmt.Sprintf("http://127.0.0.1:%d/health", etcdPort), `"health":"true"`)
	}); err != nil {
		return err
	}
	s.logf("etcd ready on 127.0.0.1:%d", etcdPort)

	api, err := s.spawn("kube-apiserver", o.APIServer, []string{
		fmt.Sprintf("--etcd-servers=http://127.0.0.1:%d", etcdPort),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", apiPort),
		"--cert-dir=" + filepath.Join(dataDir, "apiserver-certs"),
		"--tls-cert-file=" + p("apiserver.crt"),
		"--tls-private-key-file=" + p("apiserver.key"),
		"--client-ca-file=" + p("ca.crt"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--api-audiences=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + p("sa.pub"),
		"--service-account-signing-key-file=" + p("sa.key"),
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=NodeRestriction",
		"--allow-privileged=true",
		"--service-cluster-ip-range=10.0.0.0/24",
		"--endpoint-reconciler-type=none",
		"--kubelet-client-certificate=" + p("apiserver-kubelet-client.crt"),
		"--kubelet-client-key=" + p("apiserver-kubelet-client.key"),
		"--kubelet-certificate-authority=" + p("ca.crt"),
		"--kubelet-preferred-address-types=InternalIP,Hostname",
		"--profiling=" + strconv.FormatBool(o.Profiling),
		"--event-ttl=1h",
		"--requestheader-client-ca-file=" + p("front-proxy-ca.crt"),
		"--requestheader-allowed-names=front-proxy-client",
		"--requestheader-username-headers=X-Remote-User",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file=" + p("front-proxy-client.crt"),
		"--proxy-client-key-file=" + p("front-proxy-client.key"),
	}, nil)
	if err != nil {
		return err
	}
	adminHTTP := httpClient(bundle["ca.crt"], bundle["admin.crt"], bundle["admin.key"])
	if err := s.waitFor(api, "kube-apiserver /readyz", 60*time.Second, func() error {
		return getOK(adminHTTP, server+"/readyz", "ok")
	}); err != nil {
		return err
	}
	s.logf("kube-apiserver ready at %s", server)

	kcm, err := s.spawn("kube-controller-manager", o.KCM, []string{
		"--kubeconfig=" + p("controller-manager.kubeconfig"),
		"--authentication-kubeconfig=" + p("controller-manager.kubeconfig"),
		"--authorization-kubeconfig=" + p("controller-manager.kubeconfig"),
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", kcmPort),
		"--tls-cert-file=" + p("controller-manager-serving.crt"),
		"--tls-private-key-file=" + p("controller-manager-serving.key"),
		"--service-account-private-key-file=" + p("sa.key"),
		"--root-ca-file=" + p("ca.crt"),
		"--cluster-signing-cert-file=" + p("ca.crt"),
		"--cluster-signing-key-file=" + p("ca.key"),
		"--use-service-account-credentials=true",
		"--controllers=*",
		"--leader-elect=false",
		"--cluster-name=devcluster",
		"--profiling=false",
		// with per-controller credentials kcm makes ~150 requests at start;
		// the default 20 QPS would spend 5s on them
		"--kube-api-qps=200",
		"--kube-api-burst=400",
	}, nil)
	if err != nil {
		return err
	}
	kcmHTTP := httpClient(bundle["ca.crt"], nil, nil)
	if err := s.waitFor(kcm, "kube-controller-manager /healthz", 60*time.Second, func() error {
		return getOK(kcmHTTP, fmt.Sprintf("https://127.0.0.1:%d/healthz", kcmPort), "ok")
	}); err != nil {
		return err
	}
	s.logf("kube-controller-manager healthy on 127.0.0.1:%d", kcmPort)

	agent, err := s.spawn("node-agent", o.Self, []string{"agent",
		"--kubeconfig=" + p("node.kubeconfig"),
		"--scheduler-kubeconfig=" + p("scheduler.kubeconfig"),
		"--node-name=" + o.NodeName,
		fmt.Sprintf("--port=%d", kubeletPort),
		"--tls-cert-file=" + p("kubelet-serving.crt"),
		"--tls-private-key-file=" + p("kubelet-serving.key"),
		"--client-ca-file=" + p("ca.crt"),
		"--root-dir=" + filepath.Join(dataDir, "agent"),
		fmt.Sprintf("--api-port=%d", apiPort),
		fmt.Sprintf("--pod-nice=%d", o.PodNice),
	}, nil)
	if err != nil {
		return err
	}
	// Ready node, and the default ServiceAccount (Pods in "default" are rejected until it exists).
	if err := s.waitFor(agent, "node "+o.NodeName+" Ready and ServiceAccount default/default", 60*time.Second, func() error {
		if err := nodeReady(adminHTTP, server, o.NodeName); err != nil {
			return err
		}
		return getOK(adminHTTP, server+"/api/v1/namespaces/default/serviceaccounts/default", "")
	}); err != nil {
		// A node agent failure is often caused by the controller manager; show both.
		if !strings.Contains(err.Error(), "exited") {
			err = fmt.Errorf("%w\nlast lines of %s:\n%s", err, kcm.log, tail(kcm.log, 15))
		}
		return err
	}
	s.logf("node %s Ready (node agent https://127.0.0.1:%d)", o.NodeName, kubeletPort)

	kc := kubeconfig(server, bundle["ca.crt"], bundle["admin.crt"], bundle["admin.key"], "devcluster-admin")
	kcPath := filepath.Join(o.StateDir, "kubeconfig")
	if err := os.WriteFile(kcPath+".tmp", kc, 0o600); err != nil {
		return err
	}
	if err := os.Rename(kcPath+".tmp", kcPath); err != nil {
		return err
	}
	if err := s.env.Write(filepath.Join(o.StateDir, "env")); err != nil {
		return err
	}
	// The watchdog reports a component that dies later.
	wd := exec.Command(o.Self, "watchdog", "--state-dir="+o.StateDir)
	wlog, err := os.OpenFile(filepath.Join(o.StateDir, "logs", "watchdog.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err == nil {
		wd.Stdout, wd.Stderr = wlog, wlog
		wd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := wd.Start(); err == nil {
			st, _, _ := procStart(wd.Process.Pid)
			s.env["DEVCLUSTER_WATCHDOG_PID"] = strconv.Itoa(wd.Process.Pid)
			s.env["DEVCLUSTER_WATCHDOG_START"] = strconv.FormatUint(st, 10)
			_ = wd.Process.Release()
		}
		wlog.Close()
	}
	if err := s.env.Write(filepath.Join(o.StateDir, "env")); err != nil {
		return err
	}
	for _, pr := range s.procs {
		_ = pr.cmd.Process.Release()
	}
	s.logf("up: KUBECONFIG=%s (API %s); logs in %s", kcPath, server, filepath.Join(o.StateDir, "logs"))
	return nil
}

func nodeReady(c *http.Client, server, node string) error {
	resp, err := c.Get(server + "/api/v1/nodes/" + node)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("node %s: HTTP %d", node, resp.StatusCode)
	}
	// Cheap check without decoding the whole object.
	s := string(body)
	i := strings.Index(s, `"type":"Ready"`)
	if i < 0 || !strings.Contains(s[i:min(len(s), i+200)], `"status":"True"`) {
		return fmt.Errorf("node %s not Ready yet", node)
	}
	// The node controller removes the not-ready taint a moment after Ready.
	if strings.Contains(s, `"node.kubernetes.io/not-ready"`) {
		return fmt.Errorf("node %s still has the not-ready taint", node)
	}
	return nil
}

// deadComponents lists components of a recorded cluster that are not running.
func deadComponents(e Env) []string {
	var dead []string
	for _, c := range Components {
		pid := e.Int(envKey(c, "PID"))
		start, _ := strconv.ParseUint(e[envKey(c, "START")], 10, 64)
		if !ProcAlive(pid, start) {
			dead = append(dead, c)
		}
	}
	return dead
}

// killPodProcesses kills the process groups the node agent recorded.
func killPodProcesses(dataDir string) int {
	dir := PodPidDir(dataDir)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		start, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if ProcAlive(pid, start) {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = syscall.Kill(pid, syscall.SIGKILL)
			n++
		}
	}
	return n
}

// lockState serialises up and down on one STATE_DIR.
func lockState(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// Down stops everything a cluster started and removes its data.
func Down(stateDir string) error {
	abs, _ := filepath.Abs(stateDir)
	if _, err := os.Stat(abs); err == nil {
		if unlock, err := lockState(abs); err == nil {
			defer unlock()
		}
	}
	return down(abs)
}

func down(stateDir string) error {
	abs, _ := filepath.Abs(stateDir)
	envPath := filepath.Join(abs, "env")
	e, err := ReadEnv(envPath)
	if err != nil {
		if os.IsNotExist(err) {
			fmt.Fprintf(os.Stderr, "devcluster: not running (no %s)\n", envPath)
			return nil
		}
		return err
	}
	get := func(c string) (int, uint64) {
		start, _ := strconv.ParseUint(e[envKey(c, "START")], 10, 64)
		return e.Int(envKey(c, "PID")), start
	}
	pid, st := get("watchdog")
	stopProc(pid, st, 2*time.Second)
	// The agent stops the Pods' processes on SIGTERM; then the control plane.
	for i := len(Components) - 1; i >= 0; i-- {
		pid, st := get(Components[i])
		grace := 10 * time.Second
		if Components[i] == "node-agent" {
			grace = 20 * time.Second
		}
		stopProc(pid, st, grace)
	}
	if dd := e["DEVCLUSTER_DATA_DIR"]; dd != "" {
		if n := killPodProcesses(dd); n > 0 {
			fmt.Fprintf(os.Stderr, "devcluster: killed %d leftover pod process groups\n", n)
		}
		if strings.Contains(filepath.Base(dd), "devcluster-data-") {
			if err := os.RemoveAll(dd); err != nil {
				fmt.Fprintf(os.Stderr, "devcluster: removing %s: %v\n", dd, err)
			}
		}
	}
	os.Remove(filepath.Join(abs, "kubeconfig"))
	os.Remove(filepath.Join(abs, "FAILED"))
	os.Remove(envPath)
	fmt.Fprintf(os.Stderr, "devcluster: down (logs kept in %s)\n", filepath.Join(abs, "logs"))
	return nil
}

// Status prints the state of every component; it returns an error if any is dead.
func Status(stateDir string) error {
	abs, _ := filepath.Abs(stateDir)
	e, err := ReadEnv(filepath.Join(abs, "env"))
	if err != nil {
		return fmt.Errorf("not running (no env in %s)", abs)
	}
	var dead []string
	for _, c := range append(append([]string{}, Components...), "watchdog") {
		pid := e.Int(envKey(c, "PID"))
		start, _ := strconv.ParseUint(e[envKey(c, "START")], 10, 64)
		state := "running"
		if !ProcAlive(pid, start) {
			state = "DEAD"
			dead = append(dead, c)
		}
		fmt.Printf("%-24s pid %-8d %s\n", c, pid, state)
	}
	pkiDir := e["DEVCLUSTER_PKI_DIR"]
	ca, _ := os.ReadFile(filepath.Join(pkiDir, "ca.crt"))
	crt, _ := os.ReadFile(filepath.Join(pkiDir, "admin.crt"))
	key, _ := os.ReadFile(filepath.Join(pkiDir, "admin.key"))
	c := httpClient(ca, crt, key)
	if err := getOK(c, e["DEVCLUSTER_API_SERVER"]+"/readyz", "ok"); err != nil {
		fmt.Printf("%-24s %s\n", "api /readyz", "NOT READY: "+err.Error())
		dead = append(dead, "api-readyz")
	} else {
		fmt.Printf("%-24s %s\n", "api /readyz", "ok ("+e["DEVCLUSTER_API_SERVER"]+")")
	}
	if err := nodeReady(c, e["DEVCLUSTER_API_SERVER"], e["DEVCLUSTER_NODE_NAME"]); err != nil {
		fmt.Printf("%-24s %s\n", "node", "NOT READY: "+err.Error())
		dead = append(dead, "node")
	} else {
		fmt.Printf("%-24s %s\n", "node", e["DEVCLUSTER_NODE_NAME"]+" Ready")
	}
	if b, err := os.ReadFile(filepath.Join(abs, "FAILED")); err == nil {
		fmt.Printf("\nwatchdog report (%s):\n%s\n", filepath.Join(abs, "FAILED"), b)
	}
	if len(dead) > 0 {
		for _, d := range dead {
			if lp := e[envKey(d, "LOG")]; lp != "" {
				fmt.Printf("\n--- last lines of %s ---\n%s\n", lp, tail(lp, 20))
			}
		}
		return fmt.Errorf("unhealthy: %s", strings.Join(dead, ", "))
	}
	return nil
}

// Watchdog polls the components and reports any that dies, in
// $(STATE_DIR)/FAILED and on its own log. It exits when the env file goes away.
func Watchdog(stateDir string) error {
	abs, _ := filepath.Abs(stateDir)
	envPath := filepath.Join(abs, "env")
	e, err := ReadEnv(envPath)
	if err != nil {
		return err
	}
	reported := map[string]bool{}
	fmt.Printf("%s watchdog: watching %v\n", time.Now().Format(time.RFC3339), Components)
	for {
		time.Sleep(time.Second)
		cur, err := ReadEnv(envPath)
		if err != nil || cur["DEVCLUSTER_DATA_DIR"] != e["DEVCLUSTER_DATA_DIR"] {
			return nil
		}
		for _, c := range Components {
			// A component being restarted is down on purpose; after a restart the
			// env names its new process, which is the one to watch.
			if cur[envKey(c, "RESTARTING")] != "" {
				continue
			}
			pid := cur.Int(envKey(c, "PID"))
			start, _ := strconv.ParseUint(cur[envKey(c, "START")], 10, 64)
			key := c + "/" + strconv.Itoa(pid)
			if reported[key] || ProcAlive(pid, start) {
				continue
			}
			reported[key] = true
			lp := e[envKey(c, "LOG")]
			msg := fmt.Sprintf("%s devcluster component %s (pid %d) died; last lines of %s:\n%s\n",
				time.Now().Format(time.RFC3339), c, pid, lp, tail(lp, 30))
			fmt.Print(msg)
			f, err := os.OpenFile(filepath.Join(abs, "FAILED"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err == nil {
				f.WriteString(msg)
				f.Close()
			}
		}
	}
}
