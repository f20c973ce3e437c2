using System.Net;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;
using RouterHost.Firewall.Stage;
using RouterHost.Pipeline;
using RouterHost.Routing.Stage;

namespace RouterHost.FunctionalTests;

/// <summary>
/// The Firewall and Routing stages created through their plugins over a real port registry (interfaces lan0,
/// lan1, lan2, and a peer "alice" allowed 10.9.0.0/16 and fd09::/64), driven one batch at a time without threads.
/// </summary>
internal sealed class StageHarness : IDisposable
{
    public static readonly PortId Lan0 = PortId.Interface(0);
    public static readonly PortId Lan1 = PortId.Interface(1);
    public static readonly PortId Lan2 = PortId.Interface(2);

    public StageHarness(string routingSettings, string? firewallSettings = null, Action<PortRegistry>? links = null, int aliceMtu = 0)
    {
        Ports = new PortRegistry();
        Ports.AddInterface("lan0", ["inside"], "test");
        Ports.AddInterface("lan1", [], "test");
        Ports.AddInterface("lan2", [], "test");
        Alice = Ports.AddPeer("tunnel", new PeerRegistration("alice", ["peers"], [IPNetwork.Parse("10.9.0.0/16"), IPNetwork.Parse("fd09::/64")], aliceMtu)).Id;
        links?.Invoke(Ports);
        var services = new StageServices();
        Routing = (RoutingStage)new RoutingStagePlugin().Create(Context("Routing", routingSettings, services, 1));
        Routing.Start(Ports);
        RoutingWorker = Routing.CreateWorker(0);
        if (firewallSettings is not null)
        {
            Firewall = (FirewallStage)new FirewallStagePlugin().Create(Context("Firewall", firewallSettings, services, 0));
            Firewall.Start(Ports);
            FirewallWorker = Firewall.CreateWorker(0);
        }
    }

    public PortRegistry Ports { get; }

    public PortId Alice { get; }

    public RoutingStage Routing { get; }

    public IStageWorker RoutingWorker { get; }

    public FirewallStage? Firewall { get; }

    public IStageWorker? FirewallWorker { get; }

    public static IConfigurationSection Section(string json, string name = "Stage")
    {
        string document = $$"""{ "{{name}}": { "Settings": {{json}} } }""";
        IConfigurationRoot root = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(document))).Build();
        return root.GetSection($"{name}:Settings");
    }

    /// <summary>Asserts that each of <paramref name="expected"/> (a key path, with the start of its message where given) is in a problem.</summary>
    public static void AssertProblemsName(IReadOnlyList<ConfigurationProblem> problems, params string[] expected)
    {
        string all = string.Join("\n", problems);
        foreach (string text in expected)
        {
            Assert.Contains(text, all, StringComparison.Ordinal);
        }
    }

    /// <summary>A batch of the given packets, arrived on <paramref name="ingress"/>, walking outward.</summary>
    public static PacketBatch Batch(PortId ingress, params byte[][] packets)
    {
        var batch = new PacketBatch(Math.Max(1, packets.Length));
        foreach (byte[] bytes in packets)
        {
            ref Packet p = ref batch.Append(bytes.AsMemory(), 0, bytes.Length);
            p.Ingress = ingress;
        }

        return batch;
    }

    public void Dispose()
    {
        RoutingWorker.Dispose();
        Routing.Dispose();
        FirewallWorker?.Dispose();
        Firewall?.Dispose();
    }

    private StageContext Context(string name, string json, StageServices services, int position) =>
        new(name, Section(json, name), NullLoggerFactory.Instance, Ports, position, 2) { Services = services };
}
