using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace RouterHost.Linux.Namespaces;

/// <summary>
/// A throwaway network namespace (for a test, or for <c>routerhost demo</c>): created with <c>ip netns add</c> under a
/// unique name <c>rh-&lt;prefix&gt;-&lt;pid&gt;-&lt;start&gt;-&lt;random&gt;</c> (pid and start time of the creating process, so a
/// sweeper can tell a crashed run's leftovers from a live run's), or under a name of the caller's
/// (<see cref="CreateNamed"/>), with <c>lo</c> up. <see cref="Dispose"/> always deletes it.
/// Code runs inside it either as a program (<see cref="Exec(string, string[])"/>, through <c>ip netns exec</c>) or
/// as a delegate on a dedicated thread that entered it with setns (<see cref="Run{T}(Func{T})"/>).
/// </summary>
public sealed partial class NetworkNamespace : IDisposable
{
    /// <summary>Every namespace name this library makes starts with this.</summary>
    public const string NamePrefix = "rh-";

    /// <summary>Where <c>ip netns</c> keeps its namespace files.</summary>
    public const string NetnsDirectory = "/var/run/netns";

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private static readonly ConcurrentDictionary<string, NetworkNamespace> Live = new();
    private static readonly Lazy<(string? Reason, string? IpPath)> Support = new(Probe);
    private int _disposed;

    static NetworkNamespace()
    {
        // No finalizer (it would run on an arbitrary thread at an arbitrary time); instead, namespaces a test
        // forgot to dispose are deleted when the process exits normally. A crash leaves them for RemoveStale.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var ns in Live.Values)
            {
                ns.Dispose();
            }
        };
    }

    private NetworkNamespace(string name)
    {
        Name = name;
    }

    /// <summary>True when namespaces can be made here: Linux, root, iproute2's <c>ip</c>, a writable netns directory.</summary>
    public static bool IsSupported => Support.Value.Reason is null;

    /// <summary>Why <see cref="IsSupported"/> is false, precisely; null when it is true.</summary>
    public static string? UnsupportedReason => Support.Value.Reason;

    /// <summary>The namespace's name, as <c>ip netns</c> knows it.</summary>
    public string Name { get; }

    /// <summary>The namespace file (<c>/var/run/netns/&lt;name&gt;</c>).</summary>
    public string Path => System.IO.Path.Combine(NetnsDirectory, Name);

    /// <summary>True once <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// The <c>ip</c> program (iproute2) this class runs: the first of <c>/usr/sbin</c>, <c>/sbin</c>, <c>/usr/bin</c>,
    /// <c>/bin</c> that has one (never one found through <c>PATH</c>, which a non-root user may control).
    /// </summary>
    public static string IpPath => Support.Value.IpPath
        ?? throw new PlatformNotSupportedException(UnsupportedReason);

    /// <summary>
    /// Creates a namespace named <c>rh-&lt;prefix&gt;-…</c> with <c>lo</c> up, first sweeping namespaces of the same
    /// prefix whose creating process is gone.
    /// </summary>
    /// <param name="prefix">What the namespace is for: 1 to 16 lowercase letters and digits.</param>
    public static NetworkNamespace Create(string prefix)
    {
        ValidatePrefix(prefix);
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException(UnsupportedReason);
        }

        RemoveStale(prefix);
        return Add(string.Create(
            CultureInfo.InvariantCulture,
            $"{NamePrefix}{prefix}-{Environment.ProcessId}-{OwnStartTicks}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}"));
    }

    /// <summary>
    /// Creates the namespace <paramref name="name"/> exactly (no sweep: the caller names and sweeps its own), with
    /// <c>lo</c> up.
    /// </summary>
    /// <param name="name">1 to 64 letters, digits, '-', '_' and '.', not starting with '.' or '-'.</param>
    public static NetworkNamespace CreateNamed(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!NamedPattern().IsMatch(name))
        {
            throw new ArgumentException($"namespace name \"{name}\" must be 1 to 64 letters, digits, '-', '_' and '.', not starting with '.' or '-'", nameof(name));
        }

        if (!IsSupported)
        {
            throw new PlatformNotSupportedException(UnsupportedReason);
        }

        return Add(name);
    }

    /// <summary>
    /// Deletes the named namespace <paramref name="name"/> (one this process did not create, such as a crashed run's),
    /// first killing whatever still runs inside it. Nothing happens when it does not exist.
    /// </summary>
    public static void Delete(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('/', StringComparison.Ordinal) || name is "." or "..")
        {
            throw new ArgumentException($"\"{name}\" is not a namespace name", nameof(name));
        }

        DeleteNamespace(name);
    }

    /// <summary>
    /// Deletes the namespaces left by runs that crashed: names <c>rh-&lt;prefix&gt;-&lt;pid&gt;-&lt;start&gt;-…</c> whose creating
    /// process (that pid with that start time) no longer exists. With no prefix, every <c>rh-</c> namespace is
    /// considered. Namespaces of live processes (other test runs) are left alone. Returns the names deleted.
    /// </summary>
    public static IReadOnlyList<string> RemoveStale(string? prefix = null)
    {
        if (prefix is not null)
        {
            ValidatePrefix(prefix);
        }

        if (!IsSupported || !Directory.Exists(NetnsDirectory))
        {
            return [];
        }

        var removed = new List<string>();
        foreach (var path in Directory.EnumerateFileSystemEntries(NetnsDirectory, NamePrefix + "*"))
        {
            var name = System.IO.Path.GetFileName(path);
            if (!TryParseName(name, out var namePrefix, out var pid, out var startTicks)
                || (prefix is not null && namePrefix != prefix)
                || IsProcessAlive(pid, startTicks))
            {
                continue;
            }

            DeleteNamespace(name);
            removed.Add(name);
        }

        return removed;
    }

    /// <summary>Runs <paramref name="command"/> inside the namespace (<c>ip netns exec</c>), waiting at most 30 s.</summary>
    public ExecResult Exec(string command, params string[] args) => Exec(DefaultTimeout, command, args);

    /// <summary>
    /// Runs <paramref name="command"/> inside the namespace (<c>ip netns exec</c>); kills it and throws
    /// <see cref="TimeoutException"/> if it has not ended within <paramref name="timeout"/>.
    /// </summary>
    public ExecResult Exec(TimeSpan timeout, string command, params string[] args)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return RunIp(timeout, ["netns", "exec", Name, command, .. args]);
    }

    /// <summary>
    /// How to start <paramref name="command"/> inside the namespace (<c>ip netns exec</c>) as a long-running child whose
    /// output the caller reads: standard output and standard error redirected, no shell.
    /// </summary>
    public ProcessStartInfo StartInfo(string command, params string[] args)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        ArgumentNullException.ThrowIfNull(args);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        var info = new ProcessStartInfo(IpPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in (string[])["netns", "exec", Name, command, .. args])
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    /// <summary>Runs <c>ip -n &lt;name&gt; args…</c>: iproute2 acting on this namespace.</summary>
    public ExecResult Ip(params string[] args)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return RunIp(DefaultTimeout, ["-n", Name, .. args]);
    }

    /// <summary>
    /// Runs <paramref name="body"/> on a new OS thread that has entered this namespace with
    /// <c>setns(fd, CLONE_NEWNET)</c>, waits for it, and returns its result or rethrows its exception.
    /// Sockets, TUN devices and netlink sockets it creates belong to this namespace for their whole life,
    /// whichever thread uses them later. The thread ends with the call, so nothing else ever runs inside.
    /// Not inside: other threads the body starts, thread-pool work and await continuations, /proc/net and
    /// /proc/self/net (those follow the process's main thread; read /proc/thread-self/net instead) and /sys
    /// (still the sysfs mounted for the original namespace).
    /// </summary>
    public T Run<T>(Func<T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return NetworkNamespaceThread.Run(Path, body);
    }

    /// <summary>Runs <paramref name="body"/> inside the namespace; see <see cref="Run{T}(Func{T})"/>.</summary>
    public void Run(Action body)
    {
        ArgumentNullException.ThrowIfNull(body);
        Run(() =>
        {
            body();
            return true;
        });
    }

    /// <summary>Deletes the namespace (killing anything still running in it). Safe to call more than once.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Live.TryRemove(Name, out _);
        DeleteNamespace(Name);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    internal static bool TryParseName(string name, out string prefix, out int pid, out long startTicks)
    {
        prefix = string.Empty;
        pid = 0;
        startTicks = 0;
        var match = NamePattern().Match(name);
        if (!match.Success
            || !int.TryParse(match.Groups["pid"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out pid)
            || !long.TryParse(match.Groups["start"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out startTicks))
        {
            return false;
        }

        prefix = match.Groups["prefix"].Value;
        return true;
    }

    internal static ExecResult RunIp(TimeSpan timeout, params string[] args) => ChildProcess.Run(IpPath, args, timeout: timeout);

    // ip netns add, then lo up; a namespace half made is deleted.
    private static NetworkNamespace Add(string name)
    {
        RunIp(DefaultTimeout, "netns", "add", name).EnsureSuccess();
        var ns = new NetworkNamespace(name);
        Live[name] = ns;
        try
        {
            ns.Ip("link", "set", "lo", "up").EnsureSuccess();
        }
        catch
        {
            ns.Dispose();
            throw;
        }

        return ns;
    }

    private static void DeleteNamespace(string name)
    {
        var path = System.IO.Path.Combine(NetnsDirectory, name);
        try
        {
            // Anything still running in it was started by the test that owns it.
            var pids = RunIp(DefaultTimeout, "netns", "pids", name);
            foreach (var line in pids.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid != Environment.ProcessId)
                {
                    _ = Interop.Libc.kill(pid, Interop.Libc.SIGKILL);
                }
            }

            RunIp(DefaultTimeout, "netns", "delete", name);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Fall through to the direct removal below.
        }

        if (File.Exists(path))
        {
            // What `ip netns delete` does: detach the bind mount that keeps the namespace alive, remove the file.
            _ = Interop.Libc.umount2(path, Interop.Libc.MNT_DETACH);
            _ = Interop.Libc.unlink(path);
        }
    }

    private static bool IsProcessAlive(int pid, long startTicks) =>
        TryReadStartTicks($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat", out var actual) && actual == startTicks;

    private static long OwnStartTicks =>
        TryReadStartTicks("/proc/self/stat", out var ticks) ? ticks : throw new InvalidOperationException("cannot read /proc/self/stat");

    // Field 22 of /proc/<pid>/stat: the start time in clock ticks since boot. Together with the pid it names
    // a process uniquely, so a reused pid is not mistaken for the namespace's creator.
    private static bool TryReadStartTicks(string statPath, out long ticks)
    {
        ticks = 0;
        string text;
        try
        {
            text = File.ReadAllText(statPath);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }

        // The command name (field 2) is in parentheses and may contain anything; count fields after the last ')'.
        var close = text.LastIndexOf(')');
        if (close < 0)
        {
            return false;
        }

        var fields = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 19 && long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out ticks);
    }

    private static void ValidatePrefix(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        if (!PrefixPattern().IsMatch(prefix))
        {
            throw new ArgumentException($"namespace prefix \"{prefix}\" must be 1 to 16 lowercase letters and digits", nameof(prefix));
        }
    }

    private static (string? Reason, string? IpPath) Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return ("network namespaces need Linux", null);
        }

        var euid = Interop.Libc.geteuid();
        if (euid != 0)
        {
            return ($"not running as root (euid {euid}); creating network namespaces needs root", null);
        }

        if (!File.Exists("/proc/self/ns/net"))
        {
            return ("the kernel has no network namespaces (/proc/self/ns/net is missing)", null);
        }

        var ip = FindIp();
        if (ip is null)
        {
            return ("the ip command (iproute2) is not in /usr/sbin, /sbin, /usr/bin or /bin; install iproute2 (apt-get install iproute2)", null);
        }

        var writable = Directory.Exists(NetnsDirectory) ? NetnsDirectory : System.IO.Path.GetDirectoryName(NetnsDirectory)!;
        if (Interop.Libc.access(writable, Interop.Libc.W_OK) != 0)
        {
            return ($"{writable} is not writable, so ip netns cannot create {NetnsDirectory}/<name>", ip);
        }

        return (null, ip);
    }

    private static string? FindIp() =>
        ((string[])["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]).FirstOrDefault(File.Exists);

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex NamedPattern();

    [GeneratedRegex("^[a-z0-9]{1,16}$")]
    private static partial Regex PrefixPattern();

    [GeneratedRegex("^rh-(?<prefix>[a-z0-9]{1,16})-(?<pid>[0-9]{1,10})-(?<start>[0-9]{1,20})-[0-9a-f]{6}$")]
    private static partial Regex NamePattern();
}
