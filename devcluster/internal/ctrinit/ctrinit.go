// Package ctrinit is the first step of every container process. The node agent
// starts it (as its own binary, subcommand "ctr-init") in a fresh mount namespace;
// it builds a private view of the host's root filesystem in a tmpfs, bind-mounts
// the Pod's volumes at the paths the container declares, chroots into that view,
// drops to the container's uid/gid and execs the container's command.
//
// The host's files are reached through bind mounts of the host's top-level
// directories, so nothing is created on the host: a mount point that does not
// exist yet is made by covering its parent directory (in this namespace only)
// with a tmpfs that holds bind mounts of the original entries plus the new one.
//
// Errors before exec are written to fd 3 (close-on-exec): the agent reads EOF
// when the exec succeeded, or the message otherwise.
package ctrinit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Mount is one bind mount into the container's view.
type Mount struct {
	Source   string `json:"source"` // host path
	Target   string `json:"target"` // absolute path in the container
	ReadOnly bool   `json:"readOnly,omitempty"`
	File     bool   `json:"file,omitempty"` // source is a file, not a directory
}

// Spec is what the agent passes (as a JSON file) to ctr-init.
type Spec struct {
	Root         string   `json:"root"` // empty host directory to build the view in
	ReadOnlyRoot bool     `json:"readOnlyRoot,omitempty"`
	Mounts       []Mount  `json:"mounts,omitempty"`
	WorkingDir   string   `json:"workingDir,omitempty"`
	SetUser      bool     `json:"setUser,omitempty"`
	UID          uint32   `json:"uid"`
	GID          uint32   `json:"gid"`
	Groups       []uint32 `json:"groups,omitempty"`
	NoNewPrivs   bool     `json:"noNewPrivs,omitempty"`
	Argv         []string `json:"argv"`
	Env          []string `json:"env"`
	// Nice is the niceness the container's processes run at (0-19; 0 leaves it).
	Nice int `json:"nice,omitempty"`
}

// ExitStartError is the exit code of ctr-init when it could not exec.
const ExitStartError = 128

// Main runs ctr-init; it never returns on success.
func Main(specPath string) {
	// Linux keeps a niceness per thread, and the exec'd program inherits the
	// exec'ing thread's: set it and exec on one thread.
	runtime.LockOSThread()
	errPipe := os.NewFile(3, "errpipe")
	fail := func(format string, a ...any) {
		msg := fmt.Sprintf(format, a...)
		if errPipe != nil {
			errPipe.WriteString(msg)
		} else {
			fmt.Fprintln(os.Stderr, msg)
		}
		os.Exit(ExitStartError)
	}
	b, err := os.ReadFile(specPath)
	if err != nil {
		fail("read spec: %v", err)
	}
	var s Spec
	if err := json.Unmarshal(b, &s); err != nil {
		fail("parse spec: %v", err)
	}
	if err := setup(&s); err != nil {
		fail("%v", err)
	}
	if s.Nice != 0 {
		if err := unix.Setpriority(unix.PRIO_PROCESS, 0, s.Nice); err != nil {
			fail("set niceness %d: %v", s.Nice, err)
		}
	}
	argv0, err := lookPath(s.Argv[0], s.Env)
	if err != nil {
		fail("exec: %q: %v", s.Argv[0], err)
	}
	syscall.CloseOnExec(3)
	err = syscall.Exec(argv0, s.Argv, s.Env)
	fail("exec %q: %v", argv0, err)
}

type builder struct {
	root  string
	own   map[string]bool // container paths that are tmpfs directories we made
	stash int
}

func setup(s *Spec) error {
	if len(s.Argv) == 0 {
		return errors.New("no command")
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	b := &builder{root: s.Root, own: map[string]bool{"/": true}}
	if err := unix.Mount("tmpfs", s.Root, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755"); err != nil {
		return fmt.Errorf("mount root tmpfs: %w", err)
	}
	if err := b.populate("/", "/"); err != nil {
		return err
	}
	mounts := append([]Mount(nil), s.Mounts...)
	sort.SliceStable(mounts, func(i, j int) bool { return depth(mounts[i].Target) < depth(mounts[j].Target) })
	// Mount points (and the working directory) are made before anything is
	// mounted; one nested in a volume is made in the volume's source directory.
	type want struct {
		p    string
		file bool
	}
	wants := []want{}
	for _, m := range mounts {
		wants = append(wants, want{m.Target, m.File})
	}
	if s.WorkingDir != "" {
		wants = append(wants, want{s.WorkingDir, false})
	}
	for _, w := range wants {
		if src, rel, ok := underVolume(mounts, w.p); ok {
			hp := filepath.Join(src, rel)
			if w.file {
				if _, err := os.Stat(hp); os.IsNotExist(err) {
					os.MkdirAll(filepath.Dir(hp), 0o755)
					f, err := os.OpenFile(hp, os.O_CREATE|os.O_WRONLY, 0o644)
					if err == nil {
						f.Close()
					}
				}
			} else {
				os.MkdirAll(hp, 0o755)
			}
			continue
		}
		if _, err := b.ensure(w.p, w.file); err != nil {
			return fmt.Errorf("create mount point %s: %w", w.p, err)
		}
	}
	if s.ReadOnlyRoot {
		if err := b.readOnly(); err != nil {
			return err
		}
	}
	for _, m := range mounts {
		tgt, err := b.resolve(m.Target)
		if err != nil {
			return fmt.Errorf("resolve %s: %w", m.Target, err)
		}
		if err := unix.Mount(m.Source, b.root+tgt, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind %s on %s: %w", m.Source, m.Target, err)
		}
		attr := &unix.MountAttr{}
		if m.ReadOnly {
			attr.Attr_set = unix.MOUNT_ATTR_RDONLY
		} else {
			attr.Attr_clr = unix.MOUNT_ATTR_RDONLY
		}
		if err := unix.MountSetattr(-1, b.root+tgt, unix.AT_RECURSIVE, attr); err != nil && m.ReadOnly {
			return fmt.Errorf("make %s read-only: %w", m.Target, err)
		}
	}
	if err := unix.Chroot(b.root); err != nil {
		return fmt.Errorf("chroot: %w", err)
	}
	wd := s.WorkingDir
	if wd == "" {
		wd = "/"
	}
	if err := unix.Chdir(wd); err != nil {
		return fmt.Errorf("chdir %s: %w", wd, err)
	}
	syscall.Umask(0o022)
	if s.NoNewPrivs {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("no_new_privs: %w", err)
		}
	}
	if s.SetUser {
		groups := make([]int, 0, len(s.Groups))
		for _, g := range s.Groups {
			groups = append(groups, int(g))
		}
		if err := syscall.Setgroups(groups); err != nil {
			return fmt.Errorf("setgroups: %w", err)
		}
		if err := syscall.Setgid(int(s.GID)); err != nil {
			return fmt.Errorf("setgid %d: %w", s.GID, err)
		}
		if err := syscall.Setuid(int(s.UID)); err != nil {
			return fmt.Errorf("setuid %d: %w", s.UID, err)
		}
	}
	return nil
}

func depth(p string) int { return strings.Count(path.Clean(p), "/") }

// underVolume tells whether container path p lies strictly inside an earlier
// (shallower) volume target, and returns that volume's source and p's relative path.
func underVolume(mounts []Mount, p string) (string, string, bool) {
	p = path.Clean(p)
	best := ""
	var src string
	for _, m := range mounts {
		t := path.Clean(m.Target)
		if m.File || t == p {
			continue
		}
		if strings.HasPrefix(p, strings.TrimSuffix(t, "/")+"/") && len(t) > len(best) {
			best, src = t, m.Source
		}
	}
	if best == "" {
		return "", "", false
	}
	return src, strings.TrimPrefix(p, strings.TrimSuffix(best, "/")+"/"), true
}

// populate fills the tmpfs directory at container path dst with the entries
// of host (or stash) directory src: directories and files are bind-mounted,
// symlinks copied.
func (b *builder) populate(src, dst string) error {
	ents, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	for _, e := range ents {
		name := e.Name()
		hs := filepath.Join(src, name)
		cd := filepath.Join(b.root, dst, name)
		if dst == "/" && strings.HasPrefix(name, ".devcluster-stash") {
			continue
		}
		fi, err := os.Lstat(hs)
		if err != nil {
			continue
		}
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			t, err := os.Readlink(hs)
			if err != nil {
				continue
			}
			if err := os.Symlink(t, cd); err != nil {
				return err
			}
		case fi.IsDir():
			if err := os.Mkdir(cd, fi.Mode().Perm()); err != nil {
				return err
			}
			if err := unix.Mount(hs, cd, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
				// Unreadable or special: leave an empty directory.
				continue
			}
		default:
			f, err := os.OpenFile(cd, os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			f.Close()
			if err := unix.Mount(hs, cd, "", unix.MS_BIND, ""); err != nil {
				os.Remove(cd)
				continue
			}
		}
	}
	return nil
}

// explode covers container directory dir (which shows a host directory) with
// a tmpfs holding bind mounts of the same entries, so new entries can be added.
func (b *builder) explode(dir string) error {
	real := filepath.Join(b.root, dir)
	fi, err := os.Stat(real)
	if err != nil {
		return err
	}
	b.stash++
	stash := filepath.Join(b.root, fmt.Sprintf(".devcluster-stash%d", b.stash))
	if err := os.Mkdir(stash, 0o700); err != nil {
		return err
	}
	defer os.Remove(stash)
	if err := unix.Mount(real, stash, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("stash %s: %w", dir, err)
	}
	defer unix.Unmount(stash, unix.MNT_DETACH)
	st := fi.Sys().(*syscall.Stat_t)
	opts := fmt.Sprintf("mode=%o,uid=%d,gid=%d", uint32(fi.Mode().Perm())|modeBits(fi.Mode()), st.Uid, st.Gid)
	if err := unix.Mount("tmpfs", real, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		return fmt.Errorf("tmpfs on %s: %w", dir, err)
	}
	b.own[dir] = true
	return b.populate(stash, dir)
}

func modeBits(m os.FileMode) uint32 {
	var r uint32
	if m&os.ModeSticky != 0 {
		r |= 0o1000
	}
	if m&os.ModeSetgid != 0 {
		r |= 0o2000
	}
	if m&os.ModeSetuid != 0 {
		r |= 0o4000
	}
	return r
}

// resolve returns the container path p with symlinks resolved inside the view.
func (b *builder) resolve(p string) (string, error) {
	return b.walk(p, false, false)
}

// ensure makes container path p exist (a directory, or a file if file is set).
func (b *builder) ensure(p string, file bool) (string, error) {
	return b.walk(p, true, file)
}

func (b *builder) walk(p string, create, file bool) (string, error) {
	hops := 0
	for {
		comps := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
		if len(comps) == 1 && comps[0] == "" {
			return "/", nil
		}
		cur := "/"
		restart := false
		for i, c := range comps {
			next := path.Join(cur, c)
			last := i == len(comps)-1
			fi, err := os.Lstat(filepath.Join(b.root, next))
			if err == nil {
				if fi.Mode()&os.ModeSymlink != 0 {
					hops++
					if hops > 40 {
						return "", errors.New("too many symlinks")
					}
					t, err := os.Readlink(filepath.Join(b.root, next))
					if err != nil {
						return "", err
					}
					rest := strings.Join(comps[i+1:], "/")
					if path.IsAbs(t) {
						p = path.Join(t, rest)
					} else {
						p = path.Join(cur, t, rest)
					}
					restart = true
					break
				}
				if fi.IsDir() || last {
					cur = next
					continue
				}
				return "", fmt.Errorf("%s is not a directory", next)
			}
			if !os.IsNotExist(err) || !create {
				return "", err
			}
			if !b.own[cur] {
				if err := b.explode(cur); err != nil {
					return "", err
				}
			}
			hp := filepath.Join(b.root, next)
			if last && file {
				f, err := os.OpenFile(hp, os.O_CREATE|os.O_WRONLY, 0o644)
				if err != nil {
					return "", err
				}
				f.Close()
			} else if err := os.Mkdir(hp, 0o755); err != nil {
				return "", err
			}
			b.own[next] = !(last && file)
			cur = next
		}
		if !restart {
			return cur, nil
		}
	}
}

// readOnly makes the view read-only except /dev and /proc (as in a container
// with readOnlyRootFilesystem, where /dev and /proc stay writable).
func (b *builder) readOnly() error {
	ents, err := os.ReadDir(b.root)
	if err != nil {
		return err
	}
	for _, e := range ents {
		switch e.Name() {
		case "dev", "proc":
			continue
		}
		if e.Type()&os.ModeSymlink != 0 {
			continue
		}
		p := filepath.Join(b.root, e.Name())
		if err := unix.MountSetattr(-1, p, unix.AT_RECURSIVE, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}); err != nil {
			// not a mount point (a plain dir we made in the root tmpfs): covered by the root remount
			continue
		}
	}
	if err := unix.Mount("", b.root, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return fmt.Errorf("remount root read-only: %w", err)
	}
	return nil
}

func lookPath(file string, env []string) (string, error) {
	if strings.Contains(file, "/") {
		if err := executable(file); err != nil {
			return "", err
		}
		return file, nil
	}
	pathEnv := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			pathEnv = kv[5:]
		}
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, file)
		if executable(p) == nil {
			return p, nil
		}
	}
	return "", errors.New("executable file not found in $PATH")
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		if os.IsNotExist(err) {
			return errors.New("no such file or directory")
		}
		return err
	}
	if fi.IsDir() {
		return errors.New("is a directory")
	}
	if err := unix.Access(p, unix.X_OK); err != nil {
		return errors.New("permission denied")
	}
	return nil
}
