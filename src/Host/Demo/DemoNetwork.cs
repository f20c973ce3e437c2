using System.Globalization;
using RouterHost.Linux.Namespaces;

namespace RouterHost.Demo;

/// <summary>
/// The demo's two network namespaces, <c>rhdemo-PID-a</c> and <c>rhdemo-PID-b</c>, joined by a veth pair (the underlay:
/// 192.168.77.1/24 and 192.168.77.2/24): a <see cref="NamespacePair"/>, made with the namespace helpers the tests use;
/// removed by <see cref="Dispose"/> (which also ends anything still running inside), and namespaces left by a demo whose
/// process is gone are swept first.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class DemoNetwork : IDisposable
{
    public const string Prefix = "rhdemo-";

    /// <summary>The demo's temporary directories (configuration, keys, control sockets): <c>/tmp/routerhost-demo-PID-…</c>.</summary>
    public const string TempPrefix = "routerhost-demo-";
    private readonly NamespacePair _pair;

    private DemoNetwork(NamespacePair pair) => _pair = pair;

    public NetworkNamespace A => _pair.A;

    public NetworkNamespace B => _pair.B;

    public static DemoNetwork Create()
    {
        if (!NetworkNamespace.IsSupported)
        {
            throw new DemoException(NetworkNamespace.UnsupportedReason ?? "network namespaces cannot be made here");
        }

        SweepStale();
        try
        {
            return new DemoNetwork(NamespacePair.CreateNamed(
                $"{Prefix}{Environment.ProcessId}-a", $"{Prefix}{Environment.ProcessId}-b", "ul0", "ul0", ["192.168.77.1/24"], ["192.168.77.2/24"]));
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            throw new DemoException(ex.Message);
        }
    }

    /// <summary>Demo namespaces of this machine (for tests and for the sweep).</summary>
    public static IReadOnlyList<string> Existing() =>
        Directory.Exists(NetworkNamespace.NetnsDirectory)
            ? Directory.GetFileSystemEntries(NetworkNamespace.NetnsDirectory, Prefix + "*").Select(Path.GetFileName).OfType<string>().ToList()
            : [];

    public void Dispose() => _pair.Dispose();

    private static void SweepStale()
    {
        // A killed demo's directory holds its nodes' private keys: it goes too.
        foreach (string directory in Directory.GetDirectories(Path.GetTempPath(), TempPrefix + "*"))
        {
            string[] parts = Path.GetFileName(directory)[TempPrefix.Length..].Split('-');
            if (parts.Length >= 1 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int owner) && !IsDemo(owner))
            {
                try
                {
                    Directory.Delete(directory, recursive: true);
                }
                catch (IOException ex)
                {
                    Console.Error.WriteLine($"warning: could not remove {directory}, left by an earlier demo: {ex.Message}");
                }
            }
        }

        foreach (string name in Existing())
        {
            string[] parts = name[Prefix.Length..].Split('-');
            if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && !IsDemo(pid))
            {
                NetworkNamespace.Delete(name);
            }
        }
    }

    private static bool IsDemo(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains("demo", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }
}
