package io.herologic.operator.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What Linux says about processes and the machine (/proc), and the few facts results.json records. */
public final class Proc {
  /** Clock ticks per second of /proc/<pid>/stat times (sysconf(_SC_CLK_TCK)); 100 on every Linux we run on. */
  static final double TICKS = clockTicks();

  private Proc() {}

  /** CPU seconds the process spent (user + system), and its waited-for children ({@code cutime + cstime}). */
  record Cpu(double self, double children) {
    Cpu minus(Cpu before) {
      return new Cpu(self - before.self, children - before.children);
    }
  }

  static Cpu cpu(long pid) {
    String stat = read(Path.of("/proc", String.valueOf(pid), "stat"));
    if (stat == null) {
      return new Cpu(Double.NaN, Double.NaN);
    }
    // Fields after "(comm)": state(3) ppid ... utime(14) stime(15) cutime(16) cstime(17)
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
    return new Cpu((Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS, (Long.parseLong(f[13]) + Long.parseLong(f[14])) / TICKS);
  }

  /** A field of /proc/<pid>/status in kB (VmHWM, VmRSS) or as a count (Threads); -1 if unknown. */
  static long status(long pid, String field) {
    String text = read(Path.of("/proc", String.valueOf(pid), "status"));
    if (text == null) {
      return -1;
    }
    for (String line : text.split("\n")) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
      }
    }
    return -1;
  }

  /** Resets the process's peak RSS (VmHWM) to its current RSS: "echo 5 > /proc/<pid>/clear_refs". */
  static boolean resetPeakRss(long pid) {
    try {
      Files.writeString(Path.of("/proc", String.valueOf(pid), "clear_refs"), "5");
      return true;
    } catch (IOException | SecurityException e) {
      return false;
    }
  }

  /** Machine CPU time from /proc/stat: {busy seconds, total seconds} over all cores. */
  static double[] machineCpu() {
    String text = read(Path.of("/proc/stat"));
    String[] f = text.split("\n")[0].trim().split("\\s+");
    long total = 0;
    long idle = 0;
    for (int i = 1; i < f.length && i <= 8; i++) { // user nice system idle iowait irq softirq steal
      long v = Long.parseLong(f[i]);
      total += v;
      if (i == 4 || i == 5) {
        idle += v;
      }
    }
    return new double[] {(total - idle) / TICKS, total / TICKS};
  }

  static String loadAverage() {
    String text = read(Path.of("/proc/loadavg"));
    return text == null ? "?" : String.join(" ", java.util.Arrays.copyOf(text.trim().split("\\s+"), 3));
  }

  static Map<String, Object> machine(Path repo) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("nproc", Runtime.getRuntime().availableProcessors());
    m.put("cpu_model", cpuinfo("model name"));
    m.put("memory_total_mib", meminfo("MemTotal") / 1024);
    m.put("memory_available_mib_at_start", meminfo("MemAvailable") / 1024);
    m.put("kernel", trim(read(Path.of("/proc/sys/kernel/osrelease"))));
    m.put("os", run(repo, "uname", "-srmo"));
    m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    // The Pods' python3: devcluster runs the host's python3 with the Pod's PATH (no images).
    m.put("python_in_pods", run(repo, "env", "-i", "PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin", "python3", "--version"));
    m.put("git_commit", run(repo, "git", "rev-parse", "HEAD"));
    String dirty = run(repo, "git", "status", "--porcelain");
    m.put("git_uncommitted_paths", dirty == null || dirty.isBlank() ? 0 : dirty.split("\n").length);
    return m;
  }

  private static String cpuinfo(String key) {
    String text = read(Path.of("/proc/cpuinfo"));
    if (text != null) {
      for (String line : text.split("\n")) {
        if (line.startsWith(key)) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    }
    return "?";
  }

  /** A field of /proc/meminfo in kB (MemAvailable, MemTotal). */
  static long meminfo(String key) {
    String text = read(Path.of("/proc/meminfo"));
    for (String line : text.split("\n")) {
      if (line.startsWith(key + ":")) {
        return Long.parseLong(line.substring(key.length() + 1).trim().split("\\s+")[0]);
      }
    }
    return -1;
  }

  /** A command's trimmed stdout (stderr merged), or null. */
  static String run(Path dir, String... command) {
    try {
      Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return null;
      }
      return out.trim();
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  static String read(Path path) {
    try {
      return Files.readString(path);
    } catch (IOException e) {
      return null;
    }
  }

  private static String trim(String s) {
    return s == null ? null : s.trim();
  }

  private static double clockTicks() {
    String out = run(Path.of("/"), "getconf", "CLK_TCK");
    try {
      return out == null ? 100 : Double.parseDouble(out);
    } catch (NumberFormatException e) {
      return 100;
    }
  }

  /**
   * Bytes of heap in use right after a full collection of JVM {@code pid} (jcmd GC.run, then
   * GC.heap_info): the sum of every generation's "total ..K, used ..K" line, so SerialGC's and
   * ParallelGC's young and old generations both count (G1 prints one line for its whole heap;
   * Metaspace's line has no "total" and is left out).
   */
  public static long heapUsedAfterGc(long pid) {
    jcmd(pid, "GC.run");
    var used = java.util.regex.Pattern.compile("total \\d+K, used (\\d+)K").matcher(jcmd(pid, "GC.heap_info"));
    long kib = 0;
    boolean found = false;
    while (used.find()) {
      kib += Long.parseLong(used.group(1));
      found = true;
    }
    if (!found) {
      throw new IllegalStateException("no heap figure from jcmd GC.heap_info");
    }
    return kib * 1024;
  }

  /** KiB of metaspace JVM {@code pid} has committed (GC.heap_info's "Metaspace used ..K, committed ..K"), -1 if it says none. */
  static long metaspaceCommittedKib(long pid) {
    var m = java.util.regex.Pattern.compile("Metaspace\\s+used \\d+K, committed (\\d+)K").matcher(jcmd(pid, "GC.heap_info"));
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  /** KiB of compiled code in JVM {@code pid}'s code cache (Compiler.codecache: the "used=..Kb" of every code heap). */
  static long codeCacheUsedKib(long pid) {
    var m = java.util.regex.Pattern.compile("\\bused=(\\d+)Kb").matcher(jcmd(pid, "Compiler.codecache"));
    long kib = 0;
    while (m.find()) {
      kib += Long.parseLong(m.group(1));
    }
    return kib;
  }

  /** The values of the named flags of JVM {@code pid}, as it runs (jcmd VM.flags -all: every flag, as -XX:+PrintFlagsFinal prints them). */
  static Map<String, String> vmFlags(long pid, java.util.Collection<String> names) {
    Map<String, String> flags = new java.util.LinkedHashMap<>();
    var line = java.util.regex.Pattern.compile("^\\s*\\S+\\s+(\\w+)\\s+:?=\\s+(\\S+)", java.util.regex.Pattern.MULTILINE)
        .matcher(jcmd(pid, "VM.flags -all"));
    Map<String, String> all = new java.util.HashMap<>();
    while (line.find()) {
      all.put(line.group(1), line.group(2));
    }
    for (String name : names) {
      flags.put(name, all.getOrDefault(name, "?"));
    }
    return flags;
  }

  private static String jcmd(long pid, String command) {
    try {
      Process jcmd = new ProcessBuilder("jcmd", String.valueOf(pid), command).redirectErrorStream(true).start();
      String out = new String(jcmd.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      if (!jcmd.waitFor(60, TimeUnit.SECONDS) || jcmd.exitValue() != 0) {
        throw new IllegalStateException("jcmd " + command + " failed: " + out);
      }
      return out;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
