package agent

import (
	"context"
	"fmt"
	"log"
	"strings"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// runScheduler binds every pending Pod without a node (for the default
// scheduler) to this node: devcluster's one node is the whole cluster.
func (a *Agent) runScheduler(ctx context.Context) {
	factory := informers.NewSharedInformerFactoryWithOptions(a.sched, 0,
		informers.WithTweakListOptions(func(o *metaListOptions) {
			o.FieldSelector = fields.AndSelectors(
				fields.OneTermEqualSelector("spec.nodeName", ""),
				fields.OneTermNotEqualSelector("status.phase", string(v1.PodSucceeded)),
				fields.OneTermNotEqualSelector("status.phase", string(v1.PodFailed)),
			).String()
		}))
	inf := factory.Core().V1().Pods()
	lister := inf.Lister()
	q := workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedItemExponentialFailureRateLimiter[types.NamespacedName](200*time.Millisecond, 5*time.Second))
	add := func(o any) {
		if p, ok := o.(*v1.Pod); ok && p.Spec.NodeName == "" {
			q.Add(types.NamespacedName{Namespace: p.Namespace, Name: p.Name})
		}
	}
	inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: add, UpdateFunc: func(_, o any) { add(o) }})
	factory.Start(ctx.Done())
	cache.WaitForCacheSync(ctx.Done(), inf.Informer().HasSynced)
	go func() { <-ctx.Done(); q.ShutDown() }()
	var reported sync.Map // pods already given a FailedScheduling event, by UID
	for {
		key, shut := q.Get()
		if shut {
			return
		}
		func() {
			defer q.Done(key)
			pod, err := lister.Pods(key.Namespace).Get(key.Name)
			if err != nil || pod.Spec.NodeName != "" || pod.DeletionTimestamp != nil {
				q.Forget(key)
				return
			}
			if pod.Spec.SchedulerName != "" && pod.Spec.SchedulerName != v1.DefaultSchedulerName {
				q.Forget(key)
				return
			}
			node, err := a.client.CoreV1().Nodes().Get(ctx, a.cfg.NodeName, metav1.GetOptions{})
			if err != nil {
				q.AddRateLimited(key)
				return
			}
			if why := unschedulable(pod, node); why != "" {
				if _, seen := reported.LoadOrStore(pod.UID, true); !seen {
					msg := fmt.Sprintf("0/1 nodes are available: 1 %s.", why)
					a.schedRec.Event(pod, v1.EventTypeWarning, "FailedScheduling", msg)
					a.setUnschedulable(ctx, pod, msg)
				}
				q.AddAfter(key, 2*time.Second)
				return
			}
			err = a.sched.CoreV1().Pods(pod.Namespace).Bind(ctx, &v1.Binding{
				ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
				Target:     v1.ObjectReference{Kind: "Node", Name: a.cfg.NodeName},
			}, metav1.CreateOptions{})
			if err != nil {
				if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
					q.Forget(key)
					return
				}
				log.Printf("bind %s: %v", key, err)
				q.AddRateLimited(key)
				return
			}
			q.Forget(key)
			reported.Delete(pod.UID)
			a.schedRec.Eventf(pod, v1.EventTypeNormal, "Scheduled", "Successfully assigned %s/%s to %s", pod.Namespace, pod.Name, a.cfg.NodeName)
		}()
	}
}

func (a *Agent) setUnschedulable(ctx context.Context, pod *v1.Pod, msg string) {
	p := pod.DeepCopy()
	cond := v1.PodCondition{Type: v1.PodScheduled, Status: v1.ConditionFalse, Reason: v1.PodReasonUnschedulable, Message: msg, LastTransitionTime: metav1.Now()}
	found := false
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == v1.PodScheduled {
			p.Status.Conditions[i] = cond
			found = true
		}
	}
	if !found {
		p.Status.Conditions = append(p.Status.Conditions, cond)
	}
	if _, err := a.sched.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		log.Printf("pod %s/%s: set Unschedulable: %v", p.Namespace, p.Name, err)
	}
}

// unschedulable tells why the Pod cannot run on this node ("" if it can):
// nodeSelector, required node affinity on labels, and taints are honoured.
func unschedulable(pod *v1.Pod, node *v1.Node) string {
	for k, v := range pod.Spec.NodeSelector {
		if node.Labels[k] != v {
			return "node(s) didn't match Pod's node affinity/selector"
		}
	}
	if aff := pod.Spec.Affinity; aff != nil && aff.NodeAffinity != nil && aff.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		terms := aff.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
		ok := false
		for _, t := range terms {
			if termMatches(t, node) {
				ok = true
				break
			}
		}
		if !ok && len(terms) > 0 {
			return "node(s) didn't match Pod's node affinity/selector"
		}
	}
	for _, t := range node.Spec.Taints {
		if t.Effect != v1.TaintEffectNoSchedule && t.Effect != v1.TaintEffectNoExecute {
			continue
		}
		tolerated := false
		for _, tol := range pod.Spec.Tolerations {
			if tol.ToleratesTaint(&t) {
				tolerated = true
				break
			}
		}
		if !tolerated {
			return fmt.Sprintf("node(s) had untolerated taint {%s: %s}", t.Key, t.Value)
		}
	}
	return ""
}

func termMatches(t v1.NodeSelectorTerm, node *v1.Node) bool {
	for _, r := range t.MatchExpressions {
		val, has := node.Labels[r.Key]
		switch r.Operator {
		case v1.NodeSelectorOpIn:
			if !has || !contains(r.Values, val) {
				return false
			}
		case v1.NodeSelectorOpNotIn:
			if has && contains(r.Values, val) {
				return false
			}
		case v1.NodeSelectorOpExists:
			if !has {
				return false
			}
		case v1.NodeSelectorOpDoesNotExist:
			if has {
				return false
			}
		default: // Gt, Lt: compare as integers
			if !has || len(r.Values) != 1 {
				return false
			}
			var a, b int64
			if _, err := fmt.Sscan(val, &a); err != nil {
				return false
			}
			if _, err := fmt.Sscan(r.Values[0], &b); err != nil {
				return false
			}
			if (r.Operator == v1.NodeSelectorOpGt && !(a > b)) || (r.Operator == v1.NodeSelectorOpLt && !(a < b)) {
				return false
			}
		}
	}
	for _, r := range t.MatchFields {
		if r.Key == "metadata.name" {
			in := contains(r.Values, node.Name)
			if (r.Operator == v1.NodeSelectorOpIn && !in) || (r.Operator == v1.NodeSelectorOpNotIn && in) {
				return false
			}
		}
	}
	return true
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if strings.EqualFold(x, s) && x == s {
			return true
		}
	}
	return false
}
