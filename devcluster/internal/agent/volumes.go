package agent

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"hero-logic/devcluster/internal/ctrinit"
)

// Volume directories live in <pod dir>/volumes/<name>. configMap, secret,
// downwardAPI and projected volumes are written like kubelet's atomic writer:
// the files are in a timestamped directory "..<ts>", "..data" links to it and
// each top-level entry is a symlink through "..data", so updates are atomic.

type fileData struct {
	data []byte
	mode os.FileMode
	uid  int // -1: root
}

type tokenCache struct {
	token   string
	expires time.Time
	issued  time.Time
}

func (w *podWorker) volDir(name string) string { return filepath.Join(w.dir, "volumes", name) }

// fsGroup of the Pod, if any.
func fsGroup(pod *v1.Pod) *int64 {
	if pod.Spec.SecurityContext != nil {
		return pod.Spec.SecurityContext.FSGroup
	}
	return nil
}

// tokenOwner returns the uid that should own projected service-account tokens:
// the single runAsUser of all containers when there is no fsGroup (as kubelet does).
func tokenOwner(pod *v1.Pod) int {
	if fsGroup(pod) != nil {
		return -1
	}
	owner := int64(-1)
	for _, c := range append(append([]v1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
		uid, _, _, _ := identity(pod, &c)
		u := int64(0)
		if uid != nil {
			u = *uid
		}
		if owner == -1 {
			owner = u
		} else if owner != u {
			return -1
		}
	}
	if owner <= 0 {
		return -1
	}
	return int(owner)
}

func (w *podWorker) setupVolumes(pod *v1.Pod) error {
	if err := os.MkdirAll(filepath.Join(w.dir, "volumes"), 0o755); err != nil {
		return err
	}
	fsg := fsGroup(pod)
	for _, v := range pod.Spec.Volumes {
		dir := w.volDir(v.Name)
		if v.EmptyDir != nil {
			if err := os.MkdirAll(dir, 0o777); err != nil {
				return err
			}
			mode := os.FileMode(0o777)
			if fsg != nil {
				os.Chown(dir, -1, int(*fsg))
				mode |= os.ModeSetgid
			}
			os.Chmod(dir, mode)
			continue
		}
		if err := w.writeVolume(pod, v); err != nil {
			return fmt.Errorf("MountVolume.SetUp failed for volume %q : %w", v.Name, err)
		}
	}
	return nil
}

// refreshVolumes rewrites configMap/secret/projected/downwardAPI volumes
// every minute (content updates and token rotation).
func (w *podWorker) refreshVolumes(pod *v1.Pod) {
	w.mu.Lock()
	due := time.Since(w.lastRefresh) > time.Minute
	if due {
		w.lastRefresh = time.Now()
	}
	w.mu.Unlock()
	if !due {
		return
	}
	for _, v := range pod.Spec.Volumes {
		if v.EmptyDir != nil {
			continue
		}
		if err := w.writeVolume(pod, v); err != nil {
			w.eventf(v1.EventTypeWarning, "FailedMount", "refresh volume %q: %v", v.Name, err)
		}
	}
}

func mode(m *int32, def int32) os.FileMode {
	if m != nil {
		return os.FileMode(*m)
	}
	return os.FileMode(def)
}

func (w *podWorker) writeVolume(pod *v1.Pod, v v1.Volume) error {
	ctx := context.Background()
	files := map[string]fileData{}
	switch {
	case v.ConfigMap != nil:
		src := v.ConfigMap
		opt := src.Optional != nil && *src.Optional
		if err := w.configMapFiles(ctx, pod, src.Name, src.Items, mode(src.DefaultMode, 0o644), opt, files); err != nil {
			return err
		}
	case v.Secret != nil:
		src := v.Secret
		opt := src.Optional != nil && *src.Optional
		if err := w.secretFiles(ctx, pod, src.SecretName, src.Items, mode(src.DefaultMode, 0o644), opt, files); err != nil {
			return err
		}
	case v.DownwardAPI != nil:
		if err := w.downwardFiles(pod, v.DownwardAPI.Items, mode(v.DownwardAPI.DefaultMode, 0o644), files); err != nil {
			return err
		}
	case v.Projected != nil:
		def := mode(v.Projected.DefaultMode, 0o644)
		for _, s := range v.Projected.Sources {
			switch {
			case s.ConfigMap != nil:
				opt := s.ConfigMap.Optional != nil && *s.ConfigMap.Optional
				if err := w.configMapFiles(ctx, pod, s.ConfigMap.Name, s.ConfigMap.Items, def, opt, files); err != nil {
					return err
				}
			case s.Secret != nil:
				opt := s.Secret.Optional != nil && *s.Secret.Optional
				if err := w.secretFiles(ctx, pod, s.Secret.Name, s.Secret.Items, def, opt, files); err != nil {
					return err
				}
			case s.DownwardAPI != nil:
				if err := w.downwardFiles(pod, s.DownwardAPI.Items, def, files); err != nil {
					return err
				}
			case s.ServiceAccountToken != nil:
				tok, err := w.token(ctx, pod, s.ServiceAccountToken)
				if err != nil {
					return err
				}
				fd := fileData{data: []byte(tok), mode: def, uid: -1}
				if owner := tokenOwner(pod); owner > 0 && v.Projected.DefaultMode == nil {
					fd.uid, fd.mode = owner, 0o600
				}
				files[s.ServiceAccountToken.Path] = fd
			}
		}
	default:
		return fmt.Errorf("unsupported volume type")
	}
	return writeAtomic(w.volDir(v.Name), files, fsGroup(pod))
}

func keyItems(keys []string, items []v1.KeyToPath, def os.FileMode) (map[string]string, map[string]os.FileMode, string) {
	paths := map[string]string{}
	modes := map[string]os.FileMode{}
	if len(items) == 0 {
		for _, k := range keys {
			paths[k] = k
			modes[k] = def
		}
		return paths, modes, ""
	}
	have := map[string]bool{}
	for _, k := range keys {
		have[k] = true
	}
	for _, it := range items {
		if !have[it.Key] {
			return nil, nil, it.Key
		}
		paths[it.Path] = it.Key
		modes[it.Path] = mode(it.Mode, int32(def))
	}
	return paths, modes, ""
}

func (w *podWorker) configMapFiles(ctx context.Context, pod *v1.Pod, name string, items []v1.KeyToPath, def os.FileMode, optional bool, files map[string]fileData) error {
	cm, err := w.a.client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) && optional {
			return nil
		}
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("configmap %q not found", name)
		}
		return err
	}
	data := map[string][]byte{}
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	paths, modes, missing := keyItems(keys, items, def)
	if missing != "" {
		if optional {
			return nil
		}
		return fmt.Errorf("configmap references non-existent config key: %s", missing)
	}
	for p, k := range paths {
		files[p] = fileData{data: data[k], mode: modes[p], uid: -1}
	}
	return nil
}

func (w *podWorker) secretFiles(ctx context.Context, pod *v1.Pod, name string, items []v1.KeyToPath, def os.FileMode, optional bool, files map[string]fileData) error {
	s, err := w.a.client.CoreV1().Secrets(pod.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) && optional {
			return nil
		}
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("secret %q not found", name)
		}
		return err
	}
	keys := make([]string, 0, len(s.Data))
	for k := range s.Data {
		keys = append(keys, k)
	}
	paths, modes, missing := keyItems(keys, items, def)
	if missing != "" {
		if optional {
			return nil
		}
		return fmt.Errorf("secret references non-existent secret key: %s", missing)
	}
	for p, k := range paths {
		files[p] = fileData{data: s.Data[k], mode: modes[p], uid: -1}
	}
	return nil
}

func (w *podWorker) downwardFiles(pod *v1.Pod, items []v1.DownwardAPIVolumeFile, def os.FileMode, files map[string]fileData) error {
	for _, it := range items {
		var val string
		var err error
		switch {
		case it.FieldRef != nil:
			val, err = fieldValue(pod, it.FieldRef.FieldPath)
		case it.ResourceFieldRef != nil:
			val, err = w.resourceValue(pod, "", it.ResourceFieldRef)
		}
		if err != nil {
			return err
		}
		files[it.Path] = fileData{data: []byte(val), mode: mode(it.Mode, int32(def)), uid: -1}
	}
	return nil
}

// token returns a bound service-account token for the Pod (TokenRequest API),
// cached until 80% of its lifetime passed.
func (w *podWorker) token(ctx context.Context, pod *v1.Pod, src *v1.ServiceAccountTokenProjection) (string, error) {
	exp := int64(3600)
	if src.ExpirationSeconds != nil {
		exp = *src.ExpirationSeconds
	}
	key := fmt.Sprintf("%s|%d", src.Audience, exp)
	w.mu.Lock()
	tc := w.tokens[key]
	w.mu.Unlock()
	if tc != nil && time.Now().Before(tc.issued.Add(tc.expires.Sub(tc.issued)*8/10)) {
		return tc.token, nil
	}
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	tr := &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{
			ExpirationSeconds: ptr.To(exp),
			BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
		},
	}
	if src.Audience != "" {
		tr.Spec.Audiences = []string{src.Audience}
	}
	res, err := w.a.client.CoreV1().ServiceAccounts(pod.Namespace).CreateToken(ctx, sa, tr, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("failed to fetch token: %w", err)
	}
	w.mu.Lock()
	w.tokens[key] = &tokenCache{token: res.Status.Token, expires: res.Status.ExpirationTimestamp.Time, issued: time.Now()}
	w.mu.Unlock()
	return res.Status.Token, nil
}

// writeAtomic writes files into dir the way kubelet's atomic writer does.
func writeAtomic(dir string, files map[string]fileData, fsg *int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	gid := -1
	if fsg != nil {
		gid = int(*fsg)
		os.Chown(dir, -1, gid)
		os.Chmod(dir, 0o755|os.ModeSetgid)
	}
	// unchanged? compare with the current ..data
	cur := filepath.Join(dir, "..data")
	if target, err := os.Readlink(cur); err == nil && sameContent(filepath.Join(dir, target), files) {
		return nil
	}
	tsDir, err := os.MkdirTemp(dir, ".."+time.Now().UTC().Format("2006_01_02_15_04_05."))
	if err != nil {
		return err
	}
	os.Chmod(tsDir, 0o755)
	if gid >= 0 {
		os.Chown(tsDir, -1, gid)
	}
	names := make([]string, 0, len(files))
	for p := range files {
		names = append(names, p)
	}
	sort.Strings(names)
	tops := map[string]bool{}
	for _, p := range names {
		clean := path.Clean(p)
		if path.IsAbs(clean) || strings.HasPrefix(clean, "..") {
			return fmt.Errorf("invalid path %q", p)
		}
		fd := files[p]
		fp := filepath.Join(tsDir, clean)
		if err := os.MkdirAll(filepath.Dir(fp), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(fp, fd.data, 0o600); err != nil {
			return err
		}
		m := fd.mode
		uid := fd.uid
		if gid >= 0 {
			m |= 0o440 // readable by the fsGroup, as kubelet does for read-only volumes
		}
		os.Chown(fp, uid, gid)
		if err := os.Chmod(fp, m); err != nil {
			return err
		}
		if gid >= 0 {
			for d := filepath.Dir(fp); d != tsDir; d = filepath.Dir(d) {
				os.Chown(d, -1, gid)
			}
		}
		tops[strings.Split(clean, "/")[0]] = true
	}
	tmpLink := filepath.Join(dir, "..data_tmp")
	os.Remove(tmpLink)
	if err := os.Symlink(filepath.Base(tsDir), tmpLink); err != nil {
		return err
	}
	old, _ := os.Readlink(cur)
	if err := os.Rename(tmpLink, cur); err != nil {
		return err
	}
	for t := range tops {
		lp := filepath.Join(dir, t)
		if _, err := os.Lstat(lp); os.IsNotExist(err) {
			if err := os.Symlink(filepath.Join("..data", t), lp); err != nil {
				return err
			}
		}
	}
	// remove entries no longer present, and the old data directory
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, "..") {
			if n != "..data" && n != filepath.Base(tsDir) && e.IsDir() {
				os.RemoveAll(filepath.Join(dir, n))
			}
			continue
		}
		if !tops[n] && e.Type()&os.ModeSymlink != 0 {
			os.Remove(filepath.Join(dir, n))
		}
	}
	_ = old
	return nil
}

func sameContent(dataDir string, files map[string]fileData) bool {
	n := 0
	err := filepath.Walk(dataDir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.IsDir() {
			return nil
		}
		n++
		rel, _ := filepath.Rel(dataDir, p)
		fd, ok := files[rel]
		if !ok {
			return fmt.Errorf("extra")
		}
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(b, fd.data) {
			return fmt.Errorf("differs")
		}
		return nil
	})
	return err == nil && n == len(files)
}

// containerMounts lists the bind mounts of one container.
func (w *podWorker) containerMounts(pod *v1.Pod, c *v1.Container, env []string) ([]ctrinit.Mount, error) {
	vols := map[string]v1.Volume{}
	for _, v := range pod.Spec.Volumes {
		vols[v.Name] = v
	}
	lookup := envMap(env)
	var out []ctrinit.Mount
	for _, m := range c.VolumeMounts {
		v, ok := vols[m.Name]
		if !ok {
			return nil, &configError{fmt.Sprintf("volume %q not found", m.Name)}
		}
		src := w.volDir(m.Name)
		ro := m.ReadOnly || v.EmptyDir == nil // API volumes are always read-only, as with kubelet
		sub := m.SubPath
		if m.SubPathExpr != "" {
			sub = expand(m.SubPathExpr, lookup)
		}
		file := false
		if sub != "" {
			clean := path.Clean(sub)
			if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
				return nil, &configError{fmt.Sprintf("invalid subPath %q", sub)}
			}
			p := filepath.Join(src, clean)
			if v.EmptyDir != nil {
				if _, err := os.Lstat(p); os.IsNotExist(err) {
					if err := os.MkdirAll(p, 0o777); err != nil {
						return nil, err
					}
					os.Chmod(p, 0o777)
				}
			}
			real, err := filepath.EvalSymlinks(p)
			if err != nil {
				return nil, &configError{fmt.Sprintf("subPath %q of volume %q: %v", sub, m.Name, err)}
			}
			base, _ := filepath.EvalSymlinks(src)
			if real != base && !strings.HasPrefix(real, base+"/") {
				return nil, &configError{fmt.Sprintf("subPath %q of volume %q points outside the volume", sub, m.Name)}
			}
			fi, err := os.Stat(real)
			if err != nil {
				return nil, err
			}
			file = !fi.IsDir()
			src = real
		}
		out = append(out, ctrinit.Mount{Source: src, Target: m.MountPath, ReadOnly: ro, File: file})
	}
	return out, nil
}
