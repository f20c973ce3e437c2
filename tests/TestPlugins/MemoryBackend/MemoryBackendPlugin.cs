using System.Globalization;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;

namespace RouterHost.TestPlugins.MemoryBackend;

/// <summary>
/// The "Memory" backend. Settings:
/// <c>Queues</c> (1..64, default 1); <c>Mode</c>: <c>Channel</c> (default: packets injected by tests) or
/// <c>Generate</c> (an endless stream of prebuilt packets, for benchmarks); <c>Exchange</c>: an id that
/// names the channels in <see cref="AppContext"/> data; <c>PacketSize</c> for Generate; <c>Gso</c> (bool);
/// <c>FailCreate</c> (bool) makes Create throw, to test startup errors; <c>FailAfterReads</c> (n) makes a
/// queue's Read throw an <see cref="IOException"/> after n reads, as a device that disappears would;
/// <c>RefuseAtFlush</c> (bool) holds written packets until Flush and then refuses them all (queue_full),
/// as a coalescing device whose writes fail would.
/// </summary>
[RouterHostPlugin("Memory", Description = "In-memory test backend: packets exchanged through channels or generated")]
public sealed class MemoryBackendPlugin : IBackendPlugin
{
    public BackendCapabilities Capabilities => BackendCapabilities.MultiQueue | BackendCapabilities.Gso;

    public string? UnsupportedReason => null;

    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings)
    {
        var problems = new List<ConfigurationProblem>();
        CheckInt(settings, "Queues", 1, 64, problems);
        CheckInt(settings, "PacketSize", 20, 65535, problems);
        string? mode = settings["Mode"];
        if (mode is not null && mode != "Channel" && mode != "Generate")
        {
            problems.Add(new($"{settings.Path}:Mode", $"must be Channel or Generate (got '{mode}')"));
        }

        return problems;
    }

    public IContainer Create(BackendContext context)
    {
        IConfigurationSection s = context.Settings;
        if (bool.TryParse(s["FailCreate"], out bool fail) && fail)
        {
            throw new InvalidOperationException("simulated device failure: /dev/memory0 is busy");
        }

        int queues = int.TryParse(s["Queues"], NumberStyles.Integer, CultureInfo.InvariantCulture, out int q) ? q : 1;
        bool generate = s["Mode"] == "Generate";
        int packetSize = int.TryParse(s["PacketSize"], NumberStyles.Integer, CultureInfo.InvariantCulture, out int size) ? size : 1400;
        bool gso = bool.TryParse(s["Gso"], out bool g) && g;
        string exchange = s["Exchange"] ?? "default";
        long failAfter = long.TryParse(s["FailAfterReads"], NumberStyles.Integer, CultureInfo.InvariantCulture, out long f) ? f : -1;
        bool refuseAtFlush = bool.TryParse(s["RefuseAtFlush"], out bool r) && r;
        return new MemoryContainer(context.InterfaceName, exchange, queues, generate, packetSize, gso, context.BatchSize, failAfter, refuseAtFlush);
    }

    private static void CheckInt(IConfigurationSection settings, string key, int min, int max, List<ConfigurationProblem> problems)
    {
        string? value = settings[key];
        if (value is not null && (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) || n < min || n > max))
        {
            problems.Add(new($"{settings.Path}:{key}", $"must be a whole number between {min} and {max} (got '{value}')"));
        }
    }
}
