using System.Diagnostics;

namespace RouterHost.Linux.Namespaces;

/// <summary>Programs run to their end as children of the test process, on the machine itself (not in a test namespace).</summary>
public static class ChildProcess
{
    /// <summary>How long <see cref="Run"/> waits by default.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs <paramref name="program"/> with <paramref name="args"/>, writes <paramref name="standardInput"/> (if any) to
    /// its standard input and closes it, and returns how it ended with everything it wrote; kills it (and what it
    /// started) and throws <see cref="TimeoutException"/> if it has not ended within <paramref name="timeout"/>
    /// (<see cref="DefaultTimeout"/> when null).
    /// </summary>
    public static ExecResult Run(string program, IEnumerable<string> args, string? standardInput = null, TimeSpan? timeout = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        ArgumentNullException.ThrowIfNull(args);
        var startInfo = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        TimeSpan limit = timeout ?? DefaultTimeout;
        var commandLine = $"{program} {string.Join(' ', startInfo.ArgumentList)}";
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"could not start `{commandLine}`");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            process.StandardInput.Write(standardInput ?? string.Empty);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // It ended (or closed its standard input) before reading it all; how it ended is what counts.
        }

        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"`{commandLine}` did not finish within {limit.TotalSeconds:0.#} s and was killed");
        }

        process.WaitForExit();
        return new ExecResult(commandLine, process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}
