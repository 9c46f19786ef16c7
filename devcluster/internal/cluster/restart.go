package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// componentAliases lets `restart --component=` use the short names people type.
var componentAliases = map[string]string{
	"apiserver":          "kube-apiserver",
	"controller-manager": "kube-controller-manager",
	"kcm":                "kube-controller-manager",
	"agent":              "node-agent",
}

// ComponentName resolves a component name or alias to one of Components.
func ComponentName(name string) (string, error) {
	if full, ok := componentAliases[name]; ok {
		name = full
	}
	for _, c := range Components {
		if c == name {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown component %q: one of %s (or apiserver, controller-manager, agent)", name, strings.Join(Components, ", "))
}

// Restart stops one component of the running cluster in stateDir (SIGTERM, then
// SIGKILL after a grace period) and starts it again with the command line `up`
// gave it: the same ports, certificates and data, its log appended to. It
// returns once the component serves again. The watchdog does not report the
// planned stop. Restarting the node agent stops the Pods it runs, as the agent
// does on every shutdown: the new agent marks them Failed (NodeAgentRestarted).
func Restart(stateDir, component string, timeout time.Duration) error {
	name, err := ComponentName(component)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(stateDir)
	if err != nil {
		return err
	}
	unlock, err := lockState(abs)
	if err != nil {
		return err
	}
	defer unlock()
	envPath := filepath.Join(abs, "env")
	e, err := ReadEnv(envPath)
	if err != nil {
		return fmt.Errorf("no running cluster in %s: %w", abs, err)
	}
	var argv []string
	if err := json.Unmarshal([]byte(e[envKey(name, "ARGV")]), &argv); err != nil || len(argv) == 0 {
		return fmt.Errorf("%s has no recorded command line in %s (started by an older devcluster?): run down and up", name, envPath)
	}
	e[envKey(name, "RESTARTING")] = "1"
	if err := e.Write(envPath); err != nil {
		return err
	}
	start, _ := strconv.ParseUint(e[envKey(name, "START")], 10, 64)
	grace := 10 * time.Second
	if name == "node-agent" {
		grace = 20 * time.Second
	}
	stopProc(e.Int(envKey(name, "PID")), start, grace)

	s := &starter{opts: Options{StateDir: abs}, env: e, t0: time.Now(), appendLogs: true}
	if lf, err := os.OpenFile(filepath.Join(abs, "logs", name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
		fmt.Fprintf(lf, "\n# --- devcluster restart at %s ---\n", time.Now().Format(time.RFC3339Nano))
		lf.Close()
	}
	// Its ports are below the ephemeral range (see freePorts), so no outgoing
	// connection holds them; a socket the old process left behind may, for a
	// moment: try again a few times before giving up.
	var p *proc
	for attempt := 1; ; attempt++ {
		if p, err = s.spawn(name, argv[0], argv[1:], nil); err != nil {
			return err
		}
		err = s.waitFor(p, name+" serving again", timeout, readyCheck(e, name))
		if err == nil {
			break
		}
		s.killAll()
		if errors.Is(err, errBind) && attempt < 5 {
			s.logf("%s: port still taken (attempt %d), trying again", name, attempt)
			time.Sleep(time.Duration(attempt) * time.Second)
			continue
		}
		delete(e, envKey(name, "RESTARTING"))
		_ = e.Write(envPath)
		return err
	}
	delete(e, envKey(name, "RESTARTING"))
	if err := e.Write(envPath); err != nil {
		return err
	}
	_ = p.cmd.Process.Release()
	s.logf("%s restarted (pid %d)", name, p.pid)
	return nil
}

// readyCheck is what `up` waits for before it goes on past a component.
func readyCheck(e Env, name string) func() error {
	pki := func(f string) []byte { b, _ := os.ReadFile(filepath.Join(e["DEVCLUSTER_PKI_DIR"], f)); return b }
	admin := httpClient(pki("ca.crt"), pki("admin.crt"), pki("admin.key"))
	server := e["DEVCLUSTER_API_SERVER"]
	switch name {
	case "etcd":
		plain := &http.Client{Timeout: 2 * time.Second}
		return func() error {
			return getOK(plain, "http://127.0.0.1:"+e["DEVCLUSTER_ETCD_PORT"]+"/health", `"health":"true"`)
		}
	case "kube-apiserver":
		return func() error { return getOK(admin, server+"/readyz", "ok") }
	case "kube-controller-manager":
		c := httpClient(pki("ca.crt"), nil, nil)
		return func() error { return getOK(c, "https://127.0.0.1:"+e["DEVCLUSTER_KCM_PORT"]+"/healthz", "ok") }
	default: // node-agent: its kubelet endpoint answers and the Node is Ready
		kubelet := httpClient(pki("ca.crt"), pki("admin.crt"), pki("admin.key"))
		return func() error {
			if err := getOK(kubelet, "https://127.0.0.1:"+e["DEVCLUSTER_KUBELET_PORT"]+"/healthz", "ok"); err != nil {
				return err
			}
			return nodeReady(admin, server, e["DEVCLUSTER_NODE_NAME"])
		}
	}
}
