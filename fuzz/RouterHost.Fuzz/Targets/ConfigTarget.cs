using System.Text;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Configuration;
using RouterHost.Firewall.Stage;
using RouterHost.Plugins.AfXdp;
using RouterHost.Plugins.LinuxTun;
using RouterHost.Plugins.Wintun;
using RouterHost.Routing.Stage;
using RouterHost.WireGuard.Stage;

namespace RouterHost.Fuzz.Targets;

/// <summary>
/// Configuration as JSON text, read the way <c>routerhost validate</c> and <c>run</c> read it: the JSON provider (whose
/// <see cref="FormatException"/> is the "cannot parse" message the CLI prints), the host's <c>RouterOptionsReader</c>,
/// and every built-in plugin's <c>Validate</c> on its <c>Settings</c> — called directly, not through the host's guard
/// that turns a throwing validation into a problem, so a validation that throws is a crash here. The first byte picks
/// what the rest is: 0 = a whole configuration (the host's keys, then each interface's backend and each stage
/// validated as the host would), 1-6 = the <c>Settings</c> of one plugin (LinuxTun, AfXdp, Wintun, Routing, Firewall,
/// WireGuard), so the fuzzer reaches each reader without having to build the whole document first. Invariant: every
/// problem names a key path and says what is wrong.
/// <para>
/// Inputs whose values name anything under /dev, /proc or /sys are skipped: WireGuard's key-file check would open
/// them, and /proc/self/fd holds afl-fuzz's own pipes.
/// </para>
/// </summary>
internal sealed class ConfigTarget : IFuzzTarget
{
    public const string TargetName = "config";

    private static readonly (string Name, IBackendPlugin Plugin)[] s_backends =
        [("LinuxTun", new LinuxTunBackendPlugin()), ("AfXdp", new AfXdpBackendPlugin()), ("Wintun", new WintunBackendPlugin())];

    private static readonly (string Name, IStagePlugin Plugin)[] s_stages =
        [("Routing", new RoutingStagePlugin()), ("Firewall", new FirewallStagePlugin()), ("WireGuard", new WireGuardStagePlugin())];

    public string Name => TargetName;

    public string Description => "configuration JSON: the host's RouterOptionsReader and every built-in plugin's settings validation";

    public void Run(ReadOnlySpan<byte> input)
    {
        FuzzInput.Split(input, out byte control, out ReadOnlySpan<byte> rest);
        int mode = control % 7;
        string json = Encoding.UTF8.GetString(rest);
        if (mode != 0)
        {
            json = $$"""{ "Interfaces": { "if0": { "Settings": {{json}} } } }""";
        }

        IConfigurationRoot configuration;
        try
        {
            configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or System.Text.Json.JsonException)
        {
            // The CLI's "cannot parse the configuration file" message. (A file source wraps the JsonException in a
            // FormatException; this stream source lets it through as it is.)
            return;
        }

        foreach (KeyValuePair<string, string?> pair in configuration.AsEnumerable())
        {
            if (pair.Value is { } value && NamesSystemFile(value))
            {
                return;
            }
        }

        var problems = new List<ConfigurationProblem>();
        IConfigurationSection settings = configuration.GetSection("Interfaces:if0:Settings");
        switch (mode)
        {
            case 0:
                ValidateWhole(configuration, problems);
                break;
            case <= 3:
                problems.AddRange(s_backends[mode - 1].Plugin.Validate(settings));
                break;
            default:
                problems.AddRange(s_stages[mode - 4].Plugin.Validate(settings));
                break;
        }

        foreach (ConfigurationProblem problem in problems)
        {
            InvariantViolationException.Check(!string.IsNullOrWhiteSpace(problem.Path) && !string.IsNullOrWhiteSpace(problem.Message), "every problem names a key path and says what is wrong");
        }
    }

    public IEnumerable<KeyValuePair<string, byte[]>> Seeds()
    {
        string root = FindRepositoryRoot();
        yield return new("appsettings", Text(0, File.ReadAllText(Path.Combine(root, "appsettings.json"))));
        yield return new("whole", Text(0, """
            { "Pipeline": { "BatchSize": 64, "CpuAffinity": "auto", "Stages": [ { "Type": "Firewall" }, { "Type": "Routing" }, { "Name": "wg0", "Type": "WireGuard", "Settings": { "ListenPort": 51820 } } ] },
              "Interfaces": { "tun0": { "Backend": "LinuxTun", "Groups": [ "inside" ], "KernelRoutes": true, "Settings": { "Mtu": 1420, "Addresses": [ "10.0.0.1/24" ] } },
                              "xdp0": { "Backend": "AfXdp", "Settings": { "Device": "eth1" } } },
              "Shutdown": { "TimeoutSeconds": 5 }, "Control": { "Socket": "off" } }
            """));
        yield return new("metrics-log", Text(0, """
            { "Pipeline": { "Stages": [ { "Type": "Routing" } ] }, "Metrics": { "Prometheus": "[::1]:9586" }, "Log": { "Format": "compact-json", "Journal": "auto" } }
            """));
        yield return new("linuxtun", Text(1, """{ "Name": "tun0", "Mtu": 1500, "Queues": 2, "TxQueueLength": 1000, "Addresses": [ "10.0.0.1/24", "fd00::1/64" ], "Routes": [ { "Destination": "10.9.0.0/16", "Via": "10.0.0.254" } ], "Offloads": { "Enabled": true, "Gro": true }, "Namespace": "ns1" }"""));
        yield return new("afxdp", Text(2, """{ "Device": "eth1", "Queues": [ 0, 1 ], "Mode": "copy", "Attach": "generic", "Rings": { "Fill": 2048, "Completion": 2048, "Rx": 2048, "Tx": 2048 }, "Addresses": [ "192.0.2.1/24" ], "Neighbours": { "Refresh": "5s", "IdleTimeout": "5m" } }"""));
        yield return new("wintun", Text(3, """{ "Name": "wt0", "Mode": "create", "Mtu": 1420, "RingCapacity": 8388608, "Addresses": [ "10.1.0.1/24" ], "Routes": [ { "Destination": "10.2.0.0/16" } ], "ReadSpin": { "Microseconds": 50, "AboveMbps": 100 } }"""));
        yield return new("routing", Text(4, """{ "Routes": [ { "Destination": "10.2.0.0/16", "Interface": "lan", "Via": "10.1.0.254", "Metric": 5 }, { "Destination": "10.9.0.0/16", "Peer": "alice" } ], "PeerRoutes": true, "IcmpSource": { "IPv4": "10.1.0.1", "IPv6": "fd01::1" }, "IcmpErrors": { "Enabled": true, "PerSecond": 100, "Burst": 50 }, "DecrementTtl": true }"""));
        yield return new("firewall", Text(5, """{ "DefaultPolicy": { "Outbound": "accept", "Inbound": "drop" }, "Rules": [ { "Name": "no-telnet", "Action": "reject", "Direction": "any", "From": [ "lan", "group:office" ], "To": [ "wan" ], "Sources": [ "10.0.0.0/8" ], "Destinations": [ "192.168.0.0/16" ], "Protocol": "tcp", "SourcePorts": [ "1024-65535" ], "Ports": [ "23" ] }, { "Action": "accept", "Protocol": "icmp", "IcmpType": 8, "IcmpCode": 0 } ], "Conntrack": { "Capacity": 65536, "EvictEstablishedWhenFull": false, "Timeouts": { "TcpEstablished": "2h" } }, "Reject": { "PerSecond": 100, "Burst": 50 } }"""));
        yield return new("wireguard", Text(6, """{ "PrivateKeyFile": "missing.key", "ListenPort": 51820, "ListenAddresses": [ "0.0.0.0", "::" ], "Sockets": 2, "Mtu": 1420, "FwMark": "0xca6c", "Offloads": { "Gso": true }, "Peers": { "site-b": { "PublicKey": "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=", "Endpoint": "192.0.2.7:51820", "AllowedIPs": [ "10.2.0.0/16" ], "PersistentKeepalive": 25, "Groups": [ "sites" ] } } }"""));
    }

    private static bool NamesSystemFile(string value) =>
        value.Contains("dev", StringComparison.OrdinalIgnoreCase)
        || value.Contains("proc", StringComparison.OrdinalIgnoreCase)
        || value.Contains("sys", StringComparison.OrdinalIgnoreCase);

    private static void ValidateWhole(IConfiguration configuration, List<ConfigurationProblem> problems)
    {
        RouterOptions options = RouterOptionsReader.Read(configuration, AppContext.BaseDirectory, problems);
        foreach (InterfaceOptions iface in options.Interfaces)
        {
            foreach ((string name, IBackendPlugin plugin) in s_backends)
            {
                if (string.Equals(name, iface.Backend, StringComparison.OrdinalIgnoreCase))
                {
                    problems.AddRange(plugin.Validate(configuration.GetSection($"{iface.Path}:{ConfigurationKeys.Settings}")));
                }
            }
        }

        foreach (StageOptions stage in options.Pipeline.Stages)
        {
            foreach ((string name, IStagePlugin plugin) in s_stages)
            {
                if (string.Equals(name, stage.Type, StringComparison.OrdinalIgnoreCase))
                {
                    problems.AddRange(plugin.Validate(configuration.GetSection($"{stage.Path}:{ConfigurationKeys.Settings}")));
                }
            }
        }
    }

    private static byte[] Text(byte mode, string text) => [mode, .. Encoding.UTF8.GetBytes(text)];

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "RouterHost.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"RouterHost.sln not found above {AppContext.BaseDirectory}");
    }
}
