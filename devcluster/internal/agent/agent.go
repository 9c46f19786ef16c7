// Package agent is devcluster's node agent: it registers one Node, schedules
// Pods onto it and runs each container as a local process (see ctrinit for the
// container's view of the filesystem). It serves container logs to the API
// server on the kubelet's /containerLogs endpoint.
package agent

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/record"
)

// Config of the agent.
type Config struct {
	Kubeconfig          string
	SchedulerKubeconfig string
	NodeName            string
	Port                int
	TLSCert, TLSKey     string
	ClientCA            string
	RootDir             string
	APIHost             string
	APIPort             int
	// PodNice is the niceness of every container's processes (0-19). A kubelet
	// keeps Pods from starving the system and the control plane with cgroups;
	// a node agent sharing a small machine with its control plane can lower
	// the Pods' CPU priority instead.
	PodNice int
}

// Agent is one running node agent.
type Agent struct {
	cfg       Config
	client    kubernetes.Interface // node identity (system:node:<name>)
	sched     kubernetes.Interface // scheduler identity (system:kube-scheduler)
	podLister corelisters.PodLister
	recorder  record.EventRecorder
	schedRec  record.EventRecorder
	self      string // path of this binary (for ctr-init)

	mu      sync.Mutex
	workers map[types.UID]*podWorker
	stopped bool
	ctx     context.Context
}

func loadClient(path, agent string) (kubernetes.Interface, error) {
	rc, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return nil, err
	}
	rc.UserAgent = agent
	rc.QPS, rc.Burst = 50, 100
	return kubernetes.NewForConfig(rc)
}

// Run runs the agent until ctx ends; then it kills every container process.
func Run(ctx context.Context, cfg Config) error {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	// /proc/self/exe: the agent's own binary, even if the file was replaced since.
	a := &Agent{cfg: cfg, workers: map[types.UID]*podWorker{}, self: "/proc/self/exe", ctx: ctx}
	var err error
	if a.client, err = loadClient(cfg.Kubeconfig, "devcluster-node-agent"); err != nil {
		return err
	}
	if a.sched, err = loadClient(cfg.SchedulerKubeconfig, "devcluster-scheduler"); err != nil {
		return err
	}
	for _, d := range []string{"pods", "pids"} {
		if err := os.MkdirAll(filepath.Join(cfg.RootDir, d), 0o755); err != nil {
			return err
		}
	}
	eb := record.NewBroadcaster(record.WithContext(ctx))
	eb.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: a.client.CoreV1().Events("")})
	a.recorder = eb.NewRecorder(scheme.Scheme, v1.EventSource{Component: "kubelet", Host: cfg.NodeName})
	sb := record.NewBroadcaster(record.WithContext(ctx))
	sb.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: a.sched.CoreV1().Events("")})
	a.schedRec = sb.NewRecorder(scheme.Scheme, v1.EventSource{Component: "default-scheduler"})

	// kubelet endpoint first, so the Node advertises a working port
	srv, err := a.serve()
	if err != nil {
		return err
	}
	if err := a.registerNode(ctx); err != nil {
		return fmt.Errorf("register node: %w", err)
	}
	go a.heartbeat(ctx)

	// Pods bound to this node.
	nodeFactory := informers.NewSharedInformerFactoryWithOptions(a.client, 0,
		informers.WithTweakListOptions(func(o *metaListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", cfg.NodeName).String()
		}))
	podInf := nodeFactory.Core().V1().Pods()
	a.podLister = podInf.Lister()
	podInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { a.podChanged(o) },
		UpdateFunc: func(_, o any) { a.podChanged(o) },
		DeleteFunc: func(o any) {
			if t, ok := o.(cache.DeletedFinalStateUnknown); ok {
				o = t.Obj
			}
			a.podChanged(o)
		},
	})
	nodeFactory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), podInf.Informer().HasSynced) {
		return fmt.Errorf("pod informer did not sync")
	}
	go a.runScheduler(ctx)
	log.Printf("node agent %s running; kubelet endpoint https://127.0.0.1:%d", cfg.NodeName, cfg.Port)

	<-ctx.Done()
	log.Printf("shutting down: stopping all containers")
	a.mu.Lock()
	a.stopped = true
	ws := make([]*podWorker, 0, len(a.workers))
	for _, w := range a.workers {
		ws = append(ws, w)
	}
	a.mu.Unlock()
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func(w *podWorker) { defer wg.Done(); w.killAll(2 * time.Second) }(w)
	}
	wg.Wait()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	srv.Shutdown(shutdownCtx)
	return nil
}

func (a *Agent) podChanged(o any) {
	pod, ok := o.(*v1.Pod)
	if !ok || pod.Spec.NodeName != a.cfg.NodeName {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopped {
		return
	}
	w := a.workers[pod.UID]
	if w == nil {
		w = newPodWorker(a, pod)
		a.workers[pod.UID] = w
		go w.run()
	}
	w.poke()
}

func (a *Agent) removeWorker(uid types.UID) {
	a.mu.Lock()
	delete(a.workers, uid)
	a.mu.Unlock()
}

// findWorker returns the worker of the newest Pod with that namespace/name.
func (a *Agent) findWorker(ns, name string) *podWorker {
	a.mu.Lock()
	defer a.mu.Unlock()
	var best *podWorker
	for _, w := range a.workers {
		if w.ns == ns && w.name == name {
			if best == nil || w.created.After(best.created) {
				best = w
			}
		}
	}
	return best
}

func (a *Agent) serve() (*http.Server, error) {
	cert, err := tls.LoadX509KeyPair(a.cfg.TLSCert, a.cfg.TLSKey)
	if err != nil {
		return nil, err
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if a.cfg.ClientCA != "" {
		pem, err := os.ReadFile(a.cfg.ClientCA)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tc.ClientCAs = pool
		tc.ClientAuth = tls.VerifyClientCertIfGiven
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	mux.HandleFunc("/containerLogs/", a.handleLogs)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, fmt.Sprintf("devcluster node agent: %s is not supported (only /containerLogs: no exec, attach, port-forward or stats)", r.URL.Path), http.StatusNotImplemented)
	})
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", a.cfg.Port))
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: mux, TLSConfig: tc, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(os.Stderr, "http: ", log.LstdFlags)}
	go func() {
		if err := srv.ServeTLS(l, "", ""); err != nil && err != http.ErrServerClosed {
			log.Fatalf("kubelet endpoint: %v", err)
		}
	}()
	return srv, nil
}

// handleLogs serves /containerLogs/{namespace}/{pod}/{container}.
func (a *Agent) handleLogs(w http.ResponseWriter, r *http.Request) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		http.Error(w, "client certificate required", http.StatusUnauthorized)
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/containerLogs/"), "/")
	if len(parts) != 3 {
		http.Error(w, "expected /containerLogs/{namespace}/{pod}/{container}", http.StatusBadRequest)
		return
	}
	ns, pod, ctr := parts[0], parts[1], parts[2]
	opts, err := parseLogOptions(r)
	if err != nil {
		http.Error(w, "bad log options: "+err.Error(), http.StatusBadRequest)
		return
	}
	previous := r.URL.Query().Get("previous") == "true"
	pw := a.findWorker(ns, pod)
	if pw == nil {
		http.Error(w, fmt.Sprintf("pod %s/%s not found on node %s", ns, pod, a.cfg.NodeName), http.StatusNotFound)
		return
	}
	lf, err := pw.logFor(ctr, previous)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Transfer-Encoding", "chunked")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	flush := func() {
		if fl != nil {
			fl.Flush()
		}
	}
	flush()
	if err := lf.stream(r.Context(), w, flush, opts); err != nil {
		log.Printf("logs %s/%s/%s: %v", ns, pod, ctr, err)
	}
	flush()
}
