// Command devcluster starts and stops a local Kubernetes cluster (up, down,
// status) and is also its node agent (agent), watchdog and container init
// (ctr-init). See ../../README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"hero-logic/devcluster/internal/agent"
	"hero-logic/devcluster/internal/cluster"
	"hero-logic/devcluster/internal/ctrinit"
)

func usage() {
	fmt.Fprintf(os.Stderr, `usage: devcluster <command> [flags]
commands:
  up       start a cluster (etcd, kube-apiserver, kube-controller-manager, node agent)
  down     stop the cluster and remove its data
  status   report each component; exit 1 if one is dead
  restart  stop one component and start it again (same ports, certificates, data):
           --component=kube-apiserver|kube-controller-manager|node-agent|etcd (or apiserver, controller-manager, agent)
  agent    run the node agent (started by up)
  watchdog report dying components (started by up)
`)
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	cmd, args := os.Args[1], os.Args[2:]
	switch cmd {
	case "ctr-init":
		if len(args) != 1 {
			fmt.Fprintln(os.Stderr, "ctr-init SPEC")
			os.Exit(ctrinit.ExitStartError)
		}
		ctrinit.Main(args[0])
	case "up":
		// Daemons must not keep any descriptor of our caller (a pipe from make
		// or a test harness would never see EOF): mark inherited ones close-on-exec.
		cloexecInherited()
		fs := flag.NewFlagSet("up", flag.ExitOnError)
		var o cluster.Options
		fs.StringVar(&o.StateDir, "state-dir", ".devcluster", "state directory (kubeconfig, env, logs)")
		fs.StringVar(&o.Etcd, "etcd", "", "etcd binary")
		fs.StringVar(&o.APIServer, "kube-apiserver", "", "kube-apiserver binary")
		fs.StringVar(&o.KCM, "kube-controller-manager", "", "kube-controller-manager binary")
		fs.StringVar(&o.NodeName, "node-name", "devcluster", "name of the node")
		fs.DurationVar(&o.Timeout, "timeout", 120*time.Second, "overall timeout")
		fs.IntVar(&o.PodNice, "pod-nice", envInt("DEVCLUSTER_POD_NICE"), "niceness (0-19) of the Pods' processes: lower CPU priority than the control plane (default $DEVCLUSTER_POD_NICE, else 0)")
		fs.BoolVar(&o.Profiling, "profiling", os.Getenv("DEVCLUSTER_PROFILING") == "1", "serve the kube-apiserver's /debug/pprof (default: $DEVCLUSTER_PROFILING is 1)")
		fs.Parse(args)
		self, err := os.Executable()
		if err != nil {
			fatal(err)
		}
		o.Self = self
		t0 := time.Now()
		if err := cluster.Up(context.Background(), o); err != nil {
			fmt.Fprintf(os.Stderr, "devcluster up FAILED: %v\n", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "devcluster: up in %.1fs\n", time.Since(t0).Seconds())
	case "down":
		fs := flag.NewFlagSet("down", flag.ExitOnError)
		dir := fs.String("state-dir", ".devcluster", "state directory")
		fs.Parse(args)
		if err := cluster.Down(*dir); err != nil {
			fatal(err)
		}
	case "status":
		fs := flag.NewFlagSet("status", flag.ExitOnError)
		dir := fs.String("state-dir", ".devcluster", "state directory")
		fs.Parse(args)
		if err := cluster.Status(*dir); err != nil {
			fmt.Fprintf(os.Stderr, "devcluster: %v\n", err)
			os.Exit(1)
		}
	case "restart":
		cloexecInherited()
		fs := flag.NewFlagSet("restart", flag.ExitOnError)
		dir := fs.String("state-dir", ".devcluster", "state directory")
		component := fs.String("component", "", "kube-apiserver, kube-controller-manager, node-agent or etcd")
		timeout := fs.Duration("timeout", 60*time.Second, "how long to wait until it serves again")
		fs.Parse(args)
		t0 := time.Now()
		if err := cluster.Restart(*dir, *component, *timeout); err != nil {
			fmt.Fprintf(os.Stderr, "devcluster restart FAILED: %v\n", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "devcluster: %s restarted in %.1fs\n", *component, time.Since(t0).Seconds())
	case "watchdog":
		fs := flag.NewFlagSet("watchdog", flag.ExitOnError)
		dir := fs.String("state-dir", ".devcluster", "state directory")
		fs.Parse(args)
		if err := cluster.Watchdog(*dir); err != nil {
			fatal(err)
		}
	case "agent":
		fs := flag.NewFlagSet("agent", flag.ExitOnError)
		var c agent.Config
		fs.StringVar(&c.Kubeconfig, "kubeconfig", "", "kubeconfig of the node identity")
		fs.StringVar(&c.SchedulerKubeconfig, "scheduler-kubeconfig", "", "kubeconfig of the scheduler identity")
		fs.StringVar(&c.NodeName, "node-name", "devcluster", "node name")
		fs.IntVar(&c.Port, "port", 10250, "kubelet endpoint port (127.0.0.1)")
		fs.StringVar(&c.TLSCert, "tls-cert-file", "", "serving certificate")
		fs.StringVar(&c.TLSKey, "tls-private-key-file", "", "serving key")
		fs.StringVar(&c.ClientCA, "client-ca-file", "", "CA of client certificates")
		fs.StringVar(&c.RootDir, "root-dir", "", "directory for pod volumes and logs")
		fs.StringVar(&c.APIHost, "api-host", "127.0.0.1", "API server host given to Pods")
		fs.IntVar(&c.APIPort, "api-port", 6443, "API server port given to Pods")
		fs.IntVar(&c.PodNice, "pod-nice", 0, "niceness (0-19) of the Pods' processes")
		fs.Parse(args)
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		if err := agent.Run(ctx, c); err != nil {
			fatal(err)
		}
	default:
		usage()
	}
}

func cloexecInherited() {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}

// envInt is the integer in environment variable name, 0 when it is unset.
func envInt(name string) int {
	v := os.Getenv(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		fatal(fmt.Errorf("%s=%q: not an integer", name, v))
	}
	return n
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "devcluster: %v\n", err)
	os.Exit(1)
}
