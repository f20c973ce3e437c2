namespace RouterHost.WireGuard.Tests.Documentation;

/// <summary>
/// A configuration example taken from a page of docs/ as it is written (the JSON block after a heading or phrase), and
/// run as an operator runs it: <c>routerhost</c> itself, inside a network namespace standing for the machine.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class DocumentedConfiguration
{
    /// <summary>The first ```json block after <paramref name="marker"/> in docs/<paramref name="page"/>.</summary>
    public static string Extract(string page, string marker) => DocumentedText.Json(page, marker);

    /// <summary>The first ```sh block after <paramref name="marker"/>, one command per line, comments removed.</summary>
    public static string[] Commands(string page, string marker) => DocumentedText.Commands(page, marker);

    /// <summary>Writes <paramref name="json"/> as a file the router trusts (mode 0600 in a 0700 folder of root's).</summary>
    public static string Write(string directory, string name, string json)
    {
        string path = Path.Combine(directory, name);
        File.WriteAllText(path, json);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    /// <summary>Starts <c>routerhost run --config FILE</c> in <paramref name="ns"/>, its control socket in <paramref name="directory"/>; waits until it is ready.</summary>
    public static RouterHostProcess Run(NetworkNamespace ns, string file, string directory, out string socket, IReadOnlyDictionary<string, string>? environment = null)
    {
        socket = Path.Combine(directory, "control.sock");
        RouterHostProcess router = RouterHostProcess.Start(["run", "--config", file, $"Control:Socket={socket}"], environment, networkNamespace: ns.Name);
        if (!router.WaitForOutput("RouterHost ready", TimeSpan.FromSeconds(60)))
        {
            string output = router.Output;
            router.Dispose();
            Assert.Fail($"routerhost did not start:\n{output}");
        }

        return router;
    }
}
