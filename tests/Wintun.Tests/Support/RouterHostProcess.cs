using System.Diagnostics;

namespace RouterHost.Plugins.Wintun.Tests.Support;

/// <summary>Runs the real <c>routerhost</c> the solution built (with its deployed plugins) to completion, capturing its output.</summary>
internal static class RouterHostProcess
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string HostDirectory { get; } = Path.Combine(RepoRoot, "src", "Host", "bin", Configuration, "net10.0");

    /// <summary>Runs <c>dotnet routerhost.dll args…</c> and returns its exit code and combined output.</summary>
    public static (int ExitCode, string Output) Run(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(HostDirectory, "routerhost.dll"));
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("NOTIFY_SOCKET");
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException("routerhost did not exit within 60 s:\n" + string.Join('\n', output));
        }

        process.WaitForExit();
        return (process.ExitCode, string.Join('\n', output));
    }

    /// <summary>A fresh plugins folder holding a copy of the host's deployed <c>plugins/Wintun/</c>.</summary>
    public static string CopyDeployedWintun(string root)
    {
        string source = Path.Combine(HostDirectory, "plugins", "Wintun");
        Assert.True(Directory.Exists(source), $"{source} was not built");
        string target = Path.Combine(root, "plugins", "Wintun");
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        return Path.Combine(root, "plugins");
    }

    private static string FindRepoRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "RouterHost.sln")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException("RouterHost.sln not found above " + AppContext.BaseDirectory);
    }
}
