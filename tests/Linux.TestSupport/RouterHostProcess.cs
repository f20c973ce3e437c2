using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using RouterHost.Linux.Namespaces;

namespace RouterHost.Linux.TestSupport;

/// <summary>
/// The real <c>routerhost</c> the solution built (<see cref="RepositoryPaths.HostDll"/>, with its deployed plugins),
/// run as a child process: <c>dotnet routerhost.dll args…</c> with <c>NOTIFY_SOCKET</c> removed from its environment
/// unless the test sets it. Standard output and standard error are captured line by line, in the order they came.
/// <see cref="Dispose"/> always kills it (and anything it started) if it is still running.
/// </summary>
public sealed class RouterHostProcess : IDisposable
{
    /// <summary>The signal systemd and <c>kill</c> stop a service with.</summary>
    public const int SIGTERM = 15;

    /// <summary>The signal that asks the host to reload its configuration.</summary>
    public const int SIGHUP = 1;

    /// <summary>How long <see cref="Run(string[])"/> lets the host run before it kills it.</summary>
    public static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly List<string> _errorLines = [];
    private readonly Lock _lock = new();
    private int _disposed;

    private RouterHostProcess(Process process) => _process = process;

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>True once the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Its exit status, once it has ended.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Every line written so far to standard output or standard error.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lock)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>What was written so far to standard error alone, the lines joined with '\n'.</summary>
    public string ErrorOutput
    {
        get
        {
            lock (_lock)
            {
                return string.Join('\n', _errorLines);
            }
        }
    }

    /// <summary>Everything written so far, the lines joined with '\n'.</summary>
    public string Output
    {
        get
        {
            lock (_lock)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    /// <summary>
    /// Starts <c>routerhost args…</c>. <paramref name="environment"/> adds to (or overrides) the test's environment;
    /// <paramref name="standardInput"/>, when given, is written to its standard input, which is then closed (otherwise
    /// standard input stays open and empty).
    /// </summary>
    /// <remarks>
    /// With <paramref name="umask"/> (octal digits, as the shell's <c>umask</c> takes them) it runs under that umask. With
    /// <paramref name="networkNamespace"/> it runs inside that named namespace (<c>ip netns exec</c>, which then becomes
    /// the host itself), as an operator runs it on a machine whose network that namespace stands for.
    /// </remarks>
    public static RouterHostProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, string? standardInput = null, string? umask = null, string? networkNamespace = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (umask is not null && networkNamespace is not null)
        {
            throw new ArgumentException("a umask and a network namespace are not combined", nameof(networkNamespace));
        }

        // The host starts through env --default-signal=HUP,INT: a test runner started under nohup passes SIGHUP down as
        // ignored, one started in the background by a shell without job control (`scripts/test &` in a script) passes
        // SIGINT down as ignored, and .NET keeps an inherited ignored signal ignored, so the reload tests' SIGHUP and the
        // Ctrl-C tests' SIGINT would never arrive.
        // env execs dotnet, so the process is still the host itself.
        var info = new ProcessStartInfo(networkNamespace is not null ? NetworkNamespace.IpPath : umask is null ? "/usr/bin/env" : "/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (umask is not null)
        {
            // The shell sets the umask and becomes dotnet (exec), so the process is still the host itself.
            foreach (string arg in (string[])["-c", $"umask {umask} && exec /usr/bin/env --default-signal=HUP,INT dotnet \"$@\"", "sh"])
            {
                info.ArgumentList.Add(arg);
            }
        }

        if (networkNamespace is not null)
        {
            foreach (string arg in (string[])["netns", "exec", networkNamespace, "/usr/bin/env", "--default-signal=HUP,INT", "dotnet"])
            {
                info.ArgumentList.Add(arg);
            }
        }

        if (networkNamespace is null && umask is null)
        {
            info.ArgumentList.Add("--default-signal=HUP,INT");
            info.ArgumentList.Add("dotnet");
        }

        info.ArgumentList.Add(RepositoryPaths.HostDll);
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // The test runner may itself run under systemd; the host must not notify the runner's service manager.
        info.Environment.Remove("NOTIFY_SOCKET");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        var router = new RouterHostProcess(process);
        process.OutputDataReceived += (_, e) => router.Add(e.Data, error: false);
        process.ErrorDataReceived += (_, e) => router.Add(e.Data, error: true);
        try
        {
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (standardInput is not null)
            {
                process.StandardInput.Write(standardInput);
                process.StandardInput.Close();
            }
        }
        catch
        {
            router.Dispose();
            throw;
        }

        return router;
    }

    /// <summary>
    /// Runs <c>routerhost args…</c> to its end and returns its exit status and everything it wrote (see
    /// <see cref="Output"/>); kills it and throws <see cref="TimeoutException"/> if it has not ended within
    /// <see cref="RunTimeout"/>.
    /// </summary>
    public static (int ExitCode, string Output) Run(params string[] args)
    {
        using RouterHostProcess router = Start(args);
        if (!router.WaitForExit(RunTimeout))
        {
            router.Dispose();
            throw new TimeoutException(string.Create(
                CultureInfo.InvariantCulture, $"routerhost did not exit within {RunTimeout.TotalSeconds:0} s:\n{router.Output}"));
        }

        return (router.ExitCode, router.Output);
    }

    /// <summary>
    /// Waits until <paramref name="text"/> appears in the output; false when it has not within
    /// <paramref name="timeout"/> or the process ended without writing it.
    /// </summary>
    public bool WaitForOutput(string text, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (Output.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }

            if (_process.HasExited)
            {
                _process.WaitForExit(); // drain redirected output
                return Output.Contains(text, StringComparison.Ordinal);
            }

            Thread.Sleep(20);
        }

        return false;
    }

    /// <summary>Sends SIGTERM, as systemd or <c>kill</c> would.</summary>
    public void Terminate() => Signal(SIGTERM);

    /// <summary>Sends <paramref name="signal"/> to the process; throws with errno when <c>kill</c> fails.</summary>
    public void Signal(int signal)
    {
        if (Interop.Libc.kill(_process.Id, signal) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
    }

    /// <summary>Waits at most <paramref name="timeout"/> for the process to end; true when it did (its output all read).</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }

        _process.WaitForExit(); // drain redirected output
        return true;
    }

    /// <summary>Kills the process and everything it started if it is still running. Safe to call more than once.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
            // It never started: there is nothing to kill.
        }

        _process.Dispose();
    }

    private void Add(string? line, bool error)
    {
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            _lines.Add(line);
            if (error)
            {
                _errorLines.Add(line);
            }
        }
    }
}
