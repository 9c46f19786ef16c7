package agent

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	v1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// run is one attempt of one container: a process (or a failure to start one).
type run struct {
	attempt     int
	containerID string
	pid         int
	pidStart    uint64
	started     time.Time
	finished    time.Time
	running     bool
	exitCode    int32
	signal      int32
	reason      string
	message     string
	log         *logFile
	exited      chan struct{}
}

// ctrState is the agent's record of one container of a Pod.
type ctrState struct {
	spec         v1.Container
	init         bool
	sidecar      bool // init container with restartPolicy Always
	restartCount int32
	cur, prev    *run
	waitReason   string
	waitMessage  string
	nextStart    time.Time // backoff
	retryAt      time.Time // next try after a configuration error
	backoff      time.Duration
	done         bool // init container finished successfully
	noRestart    bool // terminated for good (pod terminating or terminal)
	// leftLog is the log a previous agent wrote for this container (its last
	// attempt), served after an agent restart as the kubelet serves the logs of
	// containers it did not start itself.
	leftLog *logFile
}

type podWorker struct {
	a       *Agent
	uid     types.UID
	ns      string
	name    string
	created time.Time
	dir     string
	wakeCh  chan struct{}

	mu          sync.Mutex
	pod         *v1.Pod
	initCtrs    []*ctrState
	ctrs        []*ctrState
	prepared    bool
	prepErr     string
	nextPrep    time.Time
	prepEvents  int
	startTime   *metav1.Time
	phase       v1.PodPhase
	reason      string
	message     string
	terminating bool
	killSent    time.Time
	killGrace   time.Duration
	lastPushed  *v1.PodStatus
	// pushFailed: the last status write failed (say the API server was restarting); the worker
	// keeps polling until one lands, even for a finished Pod, as a kubelet's status sync does.
	pushFailed       bool
	written          *v1.Pod // the object returned by our last status write
	stoppingSidecars bool
	lastRefresh      time.Time
	tokens           map[string]*tokenCache
	seq              int
}

func newPodWorker(a *Agent, pod *v1.Pod) *podWorker {
	w := &podWorker{
		a: a, uid: pod.UID, ns: pod.Namespace, name: pod.Name,
		created: pod.CreationTimestamp.Time,
		dir:     filepath.Join(a.cfg.RootDir, "pods", string(pod.UID)),
		wakeCh:  make(chan struct{}, 1),
		pod:     pod,
		tokens:  map[string]*tokenCache{},
	}
	for _, c := range pod.Spec.InitContainers {
		cs := &ctrState{spec: c, init: true}
		cs.sidecar = c.RestartPolicy != nil && *c.RestartPolicy == v1.ContainerRestartPolicyAlways
		w.initCtrs = append(w.initCtrs, cs)
	}
	for _, c := range pod.Spec.Containers {
		w.ctrs = append(w.ctrs, &ctrState{spec: c})
	}
	if pod.Status.StartTime != nil {
		st := *pod.Status.StartTime
		w.startTime = &st
	}
	for _, c := range w.allCtrs() {
		c.leftLog = lastLogOnDisk(w.dir, c.spec.Name)
	}
	switch pod.Status.Phase {
	case v1.PodSucceeded, v1.PodFailed:
		// Finished before this agent knew it (an agent restart): keep it as is.
		w.phase, w.reason, w.message = pod.Status.Phase, pod.Status.Reason, pod.Status.Message
		w.prepared = true
		for _, c := range append(append([]*ctrState{}, w.initCtrs...), w.ctrs...) {
			c.noRestart = true
			c.done = true
		}
		st := pod.Status.DeepCopy()
		w.lastPushed = st
	case v1.PodRunning:
		if len(pod.Status.ContainerStatuses) > 0 {
			// Its processes belonged to a previous agent and are gone.
			w.phase, w.reason, w.message = v1.PodFailed, "NodeAgentRestarted", "devcluster node agent restarted; the Pod's processes were lost"
			w.prepared = true
			for _, c := range append(append([]*ctrState{}, w.initCtrs...), w.ctrs...) {
				c.noRestart, c.done = true, true
				c.waitReason, c.waitMessage = "NodeAgentRestarted", w.message
				c.cur = lostRun(pod.Status, c, w.message)
			}
		}
	}
	return w
}

func (w *podWorker) poke() {
	select {
	case w.wakeCh <- struct{}{}:
	default:
	}
}

func (w *podWorker) allCtrs() []*ctrState {
	return append(append([]*ctrState{}, w.initCtrs...), w.ctrs...)
}

func (w *podWorker) run() {
	for {
		if finished := w.sync(); finished {
			w.a.removeWorker(w.uid)
			return
		}
		// A finished Pod with no process left only reacts to changes of the
		// object (its deletion); otherwise poll for deadlines and backoffs.
		var tick <-chan time.Time
		w.mu.Lock()
		idle := (w.phase == v1.PodSucceeded || w.phase == v1.PodFailed) && !w.anyRunningLocked() && !w.pushFailed
		w.mu.Unlock()
		if !idle {
			tick = time.After(500 * time.Millisecond)
		}
		select {
		case <-w.a.ctx.Done():
			return
		case <-w.wakeCh:
		case <-tick:
		}
	}
}

func (w *podWorker) eventf(typ, reason, format string, a ...any) {
	w.a.recorder.Eventf(w.pod, typ, reason, format, a...)
}

// sync advances the Pod one step; it returns true when the worker is finished.
func (w *podWorker) sync() bool {
	pod, err := w.a.podLister.Pods(w.ns).Get(w.name)
	if err != nil || pod.UID != w.uid {
		// Deleted (force-deleted or by someone else): stop everything.
		w.killAll(0)
		w.cleanup()
		return true
	}
	w.mu.Lock()
	w.pod = pod
	w.mu.Unlock()

	if pod.DeletionTimestamp != nil {
		return w.syncTerminating(pod)
	}
	w.mu.Lock()
	terminal := w.phase == v1.PodSucceeded || w.phase == v1.PodFailed
	w.mu.Unlock()
	if terminal {
		if w.anyRunning() {
			w.killProcesses(w.gracePeriod(pod))
		}
		w.pushStatus()
		return false
	}

	if !w.prepare(pod) {
		w.pushStatus()
		return false
	}
	w.checkDeadline(pod)
	w.mu.Lock()
	terminal = w.phase == v1.PodFailed
	w.mu.Unlock()
	if !terminal {
		w.startContainers(pod)
		w.refreshVolumes(pod)
	}
	w.computePhase(pod)
	w.pushStatus()
	return false
}

func (w *podWorker) gracePeriod(pod *v1.Pod) time.Duration {
	if pod.DeletionGracePeriodSeconds != nil {
		return time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second
	}
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		return time.Duration(*pod.Spec.TerminationGracePeriodSeconds) * time.Second
	}
	return 30 * time.Second
}

// prepare checks the Pod can run here and sets up its volumes. It returns
// false while the Pod cannot start yet (or failed).
func (w *podWorker) prepare(pod *v1.Pod) bool {
	w.mu.Lock()
	prepared := w.prepared
	w.mu.Unlock()
	if prepared {
		return true
	}
	if w.startTime == nil {
		now := metav1.Now()
		w.startTime = &now
	}
	if reason, msg := refuse(pod); reason != "" {
		w.fail(reason, "devcluster node agent cannot run this Pod: "+msg)
		return false
	}
	if time.Now().Before(w.nextPrep) {
		return false
	}
	if err := w.setupVolumes(pod); err != nil {
		w.mu.Lock()
		w.prepErr = err.Error()
		w.prepEvents++
		n := w.prepEvents
		w.nextPrep = time.Now().Add(time.Duration(min(n, 10)) * time.Second)
		w.mu.Unlock()
		// On every attempt, as the kubelet does (the recorder folds repeats into one Event with a
		// count): the recorder drops Events when its queue is full, so one lost under a burst of
		// Pod starts must not leave a waiting Pod without any.
		w.eventf(v1.EventTypeWarning, "FailedMount", "%v", err)
		log.Printf("pod %s/%s: volumes: %v", w.ns, w.name, err)
		return false
	}
	w.mu.Lock()
	w.prepared = true
	w.prepErr = ""
	w.lastRefresh = time.Now()
	w.mu.Unlock()
	return true
}

// fail makes the Pod Failed for a reason of the agent's (not a container's).
func (w *podWorker) fail(reason, msg string) {
	w.mu.Lock()
	w.phase, w.reason, w.message = v1.PodFailed, reason, msg
	for _, c := range w.allCtrs() {
		c.noRestart = true
		if c.cur == nil {
			c.waitReason, c.waitMessage = reason, msg
		}
	}
	w.mu.Unlock()
	w.eventf(v1.EventTypeWarning, reason, "%s", msg)
	log.Printf("pod %s/%s failed: %s: %s", w.ns, w.name, reason, msg)
}

func (w *podWorker) checkDeadline(pod *v1.Pod) {
	if pod.Spec.ActiveDeadlineSeconds == nil || w.startTime == nil {
		return
	}
	dl := w.startTime.Add(time.Duration(*pod.Spec.ActiveDeadlineSeconds) * time.Second)
	if time.Now().Before(dl) {
		return
	}
	msg := "Pod was active on the node longer than the specified deadline"
	w.fail("DeadlineExceeded", msg)
	w.killProcesses(w.gracePeriod(pod))
}

func (w *podWorker) anyRunning() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.allCtrs() {
		if c.cur != nil && c.cur.running {
			return true
		}
	}
	return false
}

// startContainers runs init containers in order, then the containers, and
// restarts exited ones per the restart policy (with backoff).
func (w *podWorker) startContainers(pod *v1.Pod) {
	policy := pod.Spec.RestartPolicy
	now := time.Now()
	// init containers
	for _, c := range w.initCtrs {
		w.mu.Lock()
		cur := c.cur
		w.mu.Unlock()
		if c.sidecar {
			if cur == nil || (!cur.running && w.mayRestart(c, v1.RestartPolicyAlways, now)) {
				if !w.startOne(pod, c) {
					return
				}
			}
			w.mu.Lock()
			started := c.cur != nil && (c.cur.running || c.restartCount > 0)
			w.mu.Unlock()
			if !started {
				return
			}
			continue
		}
		if c.done {
			continue
		}
		if cur == nil {
			if now.After(c.retryAt) {
				w.startOne(pod, c)
			}
			return
		}
		if cur.running {
			return
		}
		if cur.exitCode == 0 && cur.reason != "StartError" {
			c.done = true
			continue
		}
		if policy == v1.RestartPolicyNever {
			w.mu.Lock()
			w.phase = v1.PodFailed
			w.reason = ""
			w.message = fmt.Sprintf("init container %q failed with exit code %d", c.spec.Name, cur.exitCode)
			for _, o := range w.allCtrs() {
				o.noRestart = true
			}
			w.mu.Unlock()
			return
		}
		if w.mayRestart(c, policy, now) {
			w.startOne(pod, c)
		}
		return
	}
	for _, c := range w.ctrs {
		w.mu.Lock()
		cur := c.cur
		w.mu.Unlock()
		if cur == nil {
			if now.After(c.retryAt) {
				w.startOne(pod, c)
			}
			continue
		}
		if !cur.running && w.mayRestart(c, policy, now) {
			w.startOne(pod, c)
		}
	}
}

// mayRestart tells whether exited container c is to be restarted now; it
// sets the CrashLoopBackOff waiting state while backing off.
func (w *podWorker) mayRestart(c *ctrState, policy v1.RestartPolicy, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c.noRestart || w.terminating || c.cur == nil || c.cur.running || now.Before(c.retryAt) {
		return false
	}
	failed := c.cur.exitCode != 0 || c.cur.reason == "StartError"
	switch policy {
	case v1.RestartPolicyNever:
		return false
	case v1.RestartPolicyOnFailure:
		if !failed {
			return false
		}
	}
	if c.nextStart.IsZero() {
		// first time this exit is seen: compute the backoff
		if c.cur.finished.Sub(c.cur.started) > 10*time.Minute {
			c.backoff = 0
		}
		c.nextStart = c.cur.finished.Add(c.backoff)
		if c.backoff == 0 {
			c.backoff = 10 * time.Second
		} else {
			c.backoff = min(2*c.backoff, 5*time.Minute)
		}
	}
	if now.Before(c.nextStart) {
		c.waitReason = "CrashLoopBackOff"
		c.waitMessage = fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", c.nextStart.Sub(c.cur.finished).Round(time.Second), c.spec.Name, w.name, w.ns, w.uid)
		return false
	}
	return true
}

// startOne starts one attempt of container c; it returns false if it could not.
func (w *podWorker) startOne(pod *v1.Pod, c *ctrState) bool {
	w.mu.Lock()
	attempt := 0
	if c.cur != nil {
		attempt = c.cur.attempt + 1
	}
	w.mu.Unlock()
	r, cfgErr := w.startProcess(pod, c, attempt)
	w.mu.Lock()
	defer w.mu.Unlock()
	if cfgErr != nil {
		// Config not available yet (missing ConfigMap key...): wait and retry, like kubelet.
		if c.waitReason != "CreateContainerConfigError" || c.waitMessage != cfgErr.Error() {
			defer w.eventf(v1.EventTypeWarning, "Failed", "Error: %v", cfgErr)
		}
		c.waitReason, c.waitMessage = "CreateContainerConfigError", cfgErr.Error()
		c.retryAt = time.Now().Add(2 * time.Second)
		return false
	}
	if c.cur != nil {
		c.prev = c.cur
		c.restartCount++
	}
	c.cur = r
	c.nextStart = time.Time{}
	c.waitReason, c.waitMessage = "", ""
	if r.reason == "StartError" {
		defer w.eventf(v1.EventTypeWarning, "Failed", "Error: %s", r.message)
		return false
	}
	defer w.eventf(v1.EventTypeNormal, "Started", "Started container %s", c.spec.Name)
	return true
}

// onExit records the end of a process (called from the waiter goroutine).
func (w *podWorker) onExit(r *run, ws syscall.WaitStatus) {
	w.mu.Lock()
	r.running = false
	r.finished = time.Now()
	switch {
	case ws.Exited():
		r.exitCode = int32(ws.ExitStatus())
	case ws.Signaled():
		r.signal = int32(ws.Signal())
		r.exitCode = 128 + int32(ws.Signal())
	default:
		r.exitCode = 255
	}
	if r.exitCode == 0 {
		r.reason = "Completed"
	} else {
		r.reason = "Error"
	}
	w.mu.Unlock()
	close(r.exited)
	w.poke()
}

// killProcesses sends SIGTERM to every running container's process group,
// and SIGKILL after grace. It blocks until they exited (or 5s after SIGKILL).
func (w *podWorker) killProcesses(grace time.Duration) {
	w.mu.Lock()
	var runs []*run
	for _, c := range w.allCtrs() {
		c.noRestart = true
		if c.cur != nil && c.cur.running {
			runs = append(runs, c.cur)
		}
	}
	w.mu.Unlock()
	killRuns(runs, grace)
}

func killRuns(runs []*run, grace time.Duration) {
	if len(runs) == 0 {
		return
	}
	for _, r := range runs {
		if grace > 0 {
			syscall.Kill(-r.pid, syscall.SIGTERM)
		} else {
			syscall.Kill(-r.pid, syscall.SIGKILL)
		}
	}
	deadline := time.After(grace)
	for _, r := range runs {
		select {
		case <-r.exited:
		case <-deadline:
		}
	}
	for _, r := range runs {
		select {
		case <-r.exited:
		default:
			syscall.Kill(-r.pid, syscall.SIGKILL)
		}
	}
	for _, r := range runs {
		select {
		case <-r.exited:
		case <-time.After(5 * time.Second):
		}
	}
}

// killAll stops every process of the Pod (agent shutdown or Pod gone).
func (w *podWorker) killAll(grace time.Duration) { w.killProcesses(grace) }

// syncTerminating handles a Pod with a deletionTimestamp: SIGTERM, SIGKILL
// after the grace period, final status, then delete the object with grace 0.
func (w *podWorker) syncTerminating(pod *v1.Pod) bool {
	w.mu.Lock()
	first := !w.terminating
	w.terminating = true
	w.mu.Unlock()
	if first && w.anyRunning() {
		grace := w.gracePeriod(pod)
		w.eventf(v1.EventTypeNormal, "Killing", "Stopping container(s) (grace period %s)", grace)
		done := make(chan struct{})
		go func() { w.killProcesses(grace); close(done) }()
		// keep the status fresh while waiting; the kill goroutine pokes on exits
		for {
			select {
			case <-done:
			case <-w.wakeCh:
				w.pushStatus()
				continue
			case <-w.a.ctx.Done():
				return false
			}
			break
		}
	} else {
		w.killProcesses(0)
	}
	w.computePhase(pod)
	w.pushStatus()
	err := w.a.client.CoreV1().Pods(w.ns).Delete(context.Background(), w.name, metav1.DeleteOptions{
		GracePeriodSeconds: ptr.To(int64(0)),
		Preconditions:      &metav1.Preconditions{UID: &w.uid},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		log.Printf("pod %s/%s: delete: %v", w.ns, w.name, err)
		return false
	}
	w.cleanup()
	return true
}

func (w *podWorker) cleanup() {
	os.RemoveAll(w.dir)
}

// computePhase derives the Pod phase from the container states (as kubelet does).
func (w *podWorker) computePhase(pod *v1.Pod) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.phase == v1.PodFailed || w.phase == v1.PodSucceeded {
		return
	}
	if !w.prepared {
		w.phase = v1.PodPending
		return
	}
	for _, c := range w.initCtrs {
		if !c.sidecar && !c.done {
			w.phase = v1.PodPending
			return
		}
	}
	policy := pod.Spec.RestartPolicy
	running, waiting, succeeded, failed := 0, 0, 0, 0
	for _, c := range w.ctrs {
		switch {
		case c.cur == nil:
			waiting++
		case c.cur.running:
			running++
		case c.cur.exitCode == 0 && c.cur.reason != "StartError":
			succeeded++
		default:
			failed++
		}
	}
	switch {
	case waiting > 0:
		// never started yet (or config error): Pending, unless some already ran
		if running+succeeded+failed > 0 {
			w.phase = v1.PodRunning
		} else {
			w.phase = v1.PodPending
		}
	case running > 0:
		w.phase = v1.PodRunning
	default: // all exited
		if w.terminating {
			if failed > 0 {
				w.phase = v1.PodFailed
			} else {
				w.phase = v1.PodSucceeded
			}
			return
		}
		switch policy {
		case v1.RestartPolicyNever:
			if failed > 0 {
				w.phase = v1.PodFailed
			} else {
				w.phase = v1.PodSucceeded
			}
		case v1.RestartPolicyOnFailure:
			if failed > 0 {
				w.phase = v1.PodRunning
			} else {
				w.phase = v1.PodSucceeded
			}
		default:
			w.phase = v1.PodRunning
		}
	}
	if w.phase == v1.PodSucceeded || w.phase == v1.PodFailed {
		for _, c := range w.allCtrs() {
			c.noRestart = true
		}
		// Sidecars are stopped once the main containers are done; the Pod
		// stays Running until they are gone.
		var side []*run
		for _, c := range w.initCtrs {
			if c.sidecar && c.cur != nil && c.cur.running {
				side = append(side, c.cur)
			}
		}
		if len(side) > 0 {
			w.phase = v1.PodRunning
			if !w.stoppingSidecars {
				w.stoppingSidecars = true
				go func() { killRuns(side, w.gracePeriod(pod)); w.poke() }()
			}
		}
	}
}

func (w *podWorker) containerStatus(c *ctrState, pod *v1.Pod) v1.ContainerStatus {
	cs := v1.ContainerStatus{
		Name:         c.spec.Name,
		Image:        c.spec.Image,
		ImageID:      "devcluster://host/" + c.spec.Image,
		RestartCount: c.restartCount,
		Started:      ptr.To(false),
	}
	term := func(r *run) *v1.ContainerStateTerminated {
		t := &v1.ContainerStateTerminated{
			ExitCode:    r.exitCode,
			Signal:      r.signal,
			Reason:      r.reason,
			Message:     r.message,
			StartedAt:   metav1.NewTime(r.started),
			FinishedAt:  metav1.NewTime(r.finished),
			ContainerID: r.containerID,
		}
		return t
	}
	if c.prev != nil {
		cs.LastTerminationState.Terminated = term(c.prev)
	}
	switch {
	case c.cur != nil && c.cur.running:
		cs.ContainerID = c.cur.containerID
		cs.State.Running = &v1.ContainerStateRunning{StartedAt: metav1.NewTime(c.cur.started)}
		cs.Started = ptr.To(true)
		cs.Ready = true
	case c.waitReason != "" && !(c.cur != nil && c.noRestart):
		cs.State.Waiting = &v1.ContainerStateWaiting{Reason: c.waitReason, Message: c.waitMessage}
		if c.cur != nil {
			cs.LastTerminationState.Terminated = term(c.cur)
			cs.ContainerID = c.cur.containerID
		}
	case c.cur != nil:
		cs.ContainerID = c.cur.containerID
		cs.State.Terminated = term(c.cur)
	default:
		reason := "ContainerCreating"
		if c.init || w.initPending() {
			reason = "PodInitializing"
		}
		if c.init {
			reason = "PodInitializing"
		}
		msg := ""
		if w.prepErr != "" {
			reason, msg = "ContainerCreating", w.prepErr
		}
		cs.State.Waiting = &v1.ContainerStateWaiting{Reason: reason, Message: msg}
	}
	return cs
}

func (w *podWorker) initPending() bool {
	for _, c := range w.initCtrs {
		if !c.sidecar && !c.done {
			return true
		}
	}
	return false
}

func setCondition(conds []v1.PodCondition, c v1.PodCondition) []v1.PodCondition {
	for i := range conds {
		if conds[i].Type == c.Type {
			if conds[i].Status == c.Status {
				c.LastTransitionTime = conds[i].LastTransitionTime
			}
			conds[i] = c
			return conds
		}
	}
	return append(conds, c)
}

// buildStatus computes the Pod status from the agent's state.
func (w *podWorker) buildStatus(pod *v1.Pod) *v1.PodStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := pod.Status.DeepCopy()
	st.Phase = w.phase
	if st.Phase == "" {
		st.Phase = v1.PodPending
	}
	st.Reason, st.Message = w.reason, w.message
	st.HostIP = "127.0.0.1"
	st.HostIPs = []v1.HostIP{{IP: "127.0.0.1"}}
	if w.prepared || w.phase == v1.PodFailed {
		st.PodIP = "127.0.0.1"
		st.PodIPs = []v1.PodIP{{IP: "127.0.0.1"}}
	}
	st.StartTime = w.startTime
	if st.QOSClass == "" {
		st.QOSClass = qosClass(pod)
	}
	st.InitContainerStatuses = nil
	for _, c := range w.initCtrs {
		st.InitContainerStatuses = append(st.InitContainerStatuses, w.containerStatus(c, pod))
	}
	st.ContainerStatuses = nil
	for _, c := range w.ctrs {
		st.ContainerStatuses = append(st.ContainerStatuses, w.containerStatus(c, pod))
	}
	now := metav1.Now()
	cond := func(t v1.PodConditionType, ok bool, reason, msg string) v1.PodCondition {
		s := v1.ConditionFalse
		if ok {
			s = v1.ConditionTrue
			reason, msg = "", ""
		}
		return v1.PodCondition{Type: t, Status: s, Reason: reason, Message: msg, LastTransitionTime: now}
	}
	terminal := w.phase == v1.PodSucceeded || w.phase == v1.PodFailed
	st.Conditions = setCondition(st.Conditions, cond(v1.PodReadyToStartContainers, w.prepared && !(terminal && !w.anyRunningLocked()), "", ""))
	var incomplete []string
	for _, c := range w.initCtrs {
		if !c.done && !(c.sidecar && c.cur != nil) {
			incomplete = append(incomplete, c.spec.Name)
		}
	}
	initOK := len(incomplete) == 0
	initReason := ""
	if !initOK {
		initReason = "ContainersNotInitialized"
	}
	st.Conditions = setCondition(st.Conditions, cond(v1.PodInitialized, initOK, initReason, fmt.Sprintf("containers with incomplete status: [%s]", strings.Join(incomplete, " "))))
	var unready []string
	for _, c := range append(sidecars(w.initCtrs), w.ctrs...) {
		if c.cur == nil || !c.cur.running {
			unready = append(unready, c.spec.Name)
		}
	}
	ready := len(unready) == 0 && !terminal
	reason, msg := "ContainersNotReady", fmt.Sprintf("containers with unready status: [%s]", strings.Join(unready, " "))
	if terminal {
		reason, msg = "PodCompleted", ""
	}
	st.Conditions = setCondition(st.Conditions, cond(v1.ContainersReady, ready, reason, msg))
	podReady := ready
	for _, g := range pod.Spec.ReadinessGates {
		found := false
		for _, c := range st.Conditions {
			if c.Type == g.ConditionType && c.Status == v1.ConditionTrue {
				found = true
			}
		}
		if !found {
			podReady = false
		}
	}
	st.Conditions = setCondition(st.Conditions, cond(v1.PodReady, podReady, reason, msg))
	// stable order
	order := map[v1.PodConditionType]int{v1.PodReadyToStartContainers: 0, v1.PodInitialized: 1, v1.PodReady: 2, v1.ContainersReady: 3, v1.PodScheduled: 4}
	sort.SliceStable(st.Conditions, func(i, j int) bool {
		oi, ok1 := order[st.Conditions[i].Type]
		oj, ok2 := order[st.Conditions[j].Type]
		if !ok1 {
			oi = 10
		}
		if !ok2 {
			oj = 10
		}
		return oi < oj
	})
	return st
}

func (w *podWorker) anyRunningLocked() bool {
	for _, c := range w.allCtrs() {
		if c.cur != nil && c.cur.running {
			return true
		}
	}
	return false
}

func sidecars(cs []*ctrState) []*ctrState {
	var out []*ctrState
	for _, c := range cs {
		if c.sidecar {
			out = append(out, c)
		}
	}
	return out
}

func qosClass(pod *v1.Pod) v1.PodQOSClass {
	anySet, guaranteed := false, true
	for _, c := range append(append([]v1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
		for _, r := range []v1.ResourceName{v1.ResourceCPU, v1.ResourceMemory} {
			req, hasReq := c.Resources.Requests[r]
			lim, hasLim := c.Resources.Limits[r]
			if hasReq || hasLim {
				anySet = true
			}
			if !hasLim || (hasReq && req.Cmp(lim) != 0) {
				guaranteed = false
			}
		}
	}
	switch {
	case !anySet:
		return v1.PodQOSBestEffort
	case guaranteed:
		return v1.PodQOSGuaranteed
	default:
		return v1.PodQOSBurstable
	}
}

// pushStatus writes the status through pods/status when it changed.
func (w *podWorker) pushStatus() {
	w.mu.Lock()
	pod := w.pod
	last := w.lastPushed
	// the informer may not have seen our last write yet: start from the newer object
	if w.written != nil && newerRV(w.written.ResourceVersion, pod.ResourceVersion) {
		pod = w.written
	}
	w.mu.Unlock()
	st := w.buildStatus(pod)
	if last != nil && statusEqual(last, st) {
		return
	}
	ctx := context.Background()
	for attempt := 0; attempt < 5; attempt++ {
		p := pod.DeepCopy()
		p.Status = *st
		res, err := w.a.client.CoreV1().Pods(w.ns).UpdateStatus(ctx, p, metav1.UpdateOptions{})
		if err == nil {
			w.mu.Lock()
			w.lastPushed = st
			w.written = res
			w.pushFailed = false
			w.mu.Unlock()
			return
		}
		if apierrors.IsNotFound(err) {
			return
		}
		if !apierrors.IsConflict(err) {
			log.Printf("pod %s/%s: update status (tried again in 500ms): %v", w.ns, w.name, err)
			w.mu.Lock()
			w.pushFailed = true
			w.mu.Unlock()
			return
		}
		fresh, gerr := w.a.client.CoreV1().Pods(w.ns).Get(ctx, w.name, metav1.GetOptions{})
		if gerr != nil || fresh.UID != w.uid {
			return
		}
		pod = fresh
		st = w.buildStatus(fresh)
	}
}

func newerRV(a, b string) bool {
	x, err1 := strconv.ParseUint(a, 10, 64)
	y, err2 := strconv.ParseUint(b, 10, 64)
	return err1 == nil && err2 == nil && x > y
}

// statusEqual compares statuses ignoring condition transition times.
func statusEqual(a, b *v1.PodStatus) bool {
	strip := func(s *v1.PodStatus) *v1.PodStatus {
		c := s.DeepCopy()
		for i := range c.Conditions {
			c.Conditions[i].LastTransitionTime = metav1.Time{}
			c.Conditions[i].LastProbeTime = metav1.Time{}
		}
		return c
	}
	return apiequality.Semantic.DeepEqual(strip(a), strip(b))
}

// logFor returns the log of a container's current (or previous) attempt.
func (w *podWorker) logFor(name string, previous bool) (*logFile, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.allCtrs() {
		if c.spec.Name != name {
			continue
		}
		r := c.cur
		if previous {
			r = c.prev
			if r == nil {
				return nil, fmt.Errorf("previous terminated container %q in pod %q not found", name, w.name)
			}
		}
		if (r == nil || r.log == nil) && !previous && c.leftLog != nil {
			return c.leftLog, nil
		}
		if r == nil || r.log == nil {
			return nil, fmt.Errorf("container %q in pod %q is waiting to start: %s", name, w.name, firstNonEmpty(c.waitReason, "ContainerCreating"))
		}
		return r.log, nil
	}
	return nil, fmt.Errorf("container %s is not valid for pod %s", name, w.name)
}

// lostRun is the last attempt of a container whose process a previous agent
// started and lost, as the API server last saw it: a terminated state stays as
// it was (the API server refuses to move a container out of terminated), a
// running one becomes terminated the way the kubelet reports a container it
// cannot find (ContainerStatusUnknown, exit code 137). Its log is the one left on disk.
func lostRun(status v1.PodStatus, c *ctrState, message string) *run {
	for _, cs := range append(append([]v1.ContainerStatus{}, status.InitContainerStatuses...), status.ContainerStatuses...) {
		if cs.Name != c.spec.Name {
			continue
		}
		exited := make(chan struct{})
		close(exited)
		r := &run{containerID: cs.ContainerID, log: c.leftLog, exited: exited}
		switch {
		case cs.State.Terminated != nil:
			t := cs.State.Terminated
			r.exitCode, r.signal, r.reason, r.message = t.ExitCode, t.Signal, t.Reason, t.Message
			r.started, r.finished = t.StartedAt.Time, t.FinishedAt.Time
		case cs.State.Running != nil:
			r.exitCode, r.reason, r.message = 137, "ContainerStatusUnknown", message
			r.started, r.finished = cs.State.Running.StartedAt.Time, time.Now()
		default:
			return nil
		}
		return r
	}
	return nil
}

// lastLogOnDisk is the log of the container's highest attempt left in the Pod's
// directory by an earlier agent, or nil.
func lastLogOnDisk(podDir, container string) *logFile {
	best, bestAttempt := "", -1
	matches, _ := filepath.Glob(filepath.Join(podDir, "logs", container+"-*.log"))
	for _, m := range matches {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), container+"-"), ".log"))
		if err == nil && n > bestAttempt {
			best, bestAttempt = m, n
		}
	}
	if best == "" {
		return nil
	}
	return closedLogFile(best)
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
