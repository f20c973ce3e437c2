using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using RouterHost.Hosting;
using RouterHost.WireGuard.Tests.Support;
using static RouterHost.WireGuard.Tests.Support.TunnelNamespaces;

namespace RouterHost.WireGuard.Tests.Interop;

/// <summary>
/// RouterHost against wireguard-go over an impaired underlay: an <see cref="ImpairmentRelay"/> in wireguard-go's
/// namespace sits between the two (RouterHost's endpoint for the peer is the relay; wireguard-go has no endpoint and
/// learns the relay's from the handshake), losing, corrupting, duplicating and delaying transport messages each way.
/// A TCP transfer from wireguard-go's side to RouterHost's must still arrive byte-exact, and RouterHost's own
/// counters (the document <c>routerhost show --json</c> prints) must equal what the relay did toward it:
/// <list type="bullet">
/// <item>every datagram the relay sent RouterHost was read (its stage source's rx_packets), so none was lost after the relay
/// and the equalities below are exact;</item>
/// <item>corrupted datagrams = <c>wireguard.decrypt_failed</c>: only bytes past the 16-byte header (type, receiver, counter)
/// are flipped, so the session is found and authentication fails;</item>
/// <item>duplicates = <c>wireguard.replayed</c>: the copy is sent with, or a few milliseconds after, the original, far inside
/// the 8160-counter window, and only intact datagrams are duplicated, so exactly one of the two is accepted;</item>
/// <item>lost datagrams are not counted (RouterHost never saw them), and reordering alone drops nothing;</item>
/// <item>no other <c>wireguard.*</c> drop at all.</item>
/// </list>
/// Handshake messages pass the relay untouched: the counts concern transport messages, and a lost handshake would
/// only cost retry timers.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class ChaosTests
{
    private const int WireGuardGoPort = 51830;
    private const int RelayPort = 51900;
    private const long Bytes = 24L << 20;

    // The AQM off: the test accounts for every drop by the relay's doing, and on a loaded machine a lane that waits for
    // a CPU lets the socket's queue stand long enough for CoDel to drop (counted, but not the relay's).
    private const string NoAqm = "\"Aqm\": { \"Enabled\": false },";

    /// <summary>A transport message's type, reserved bytes, receiver index and counter: left intact, the session stays findable.</summary>
    private const int TransportHeaderBytes = 16;
    private const string DecryptFailed = "wireguard.decrypt_failed";
    private const string Replayed = "wireguard.replayed";

    private static readonly TimeSpan TransferLimit = TimeSpan.FromMinutes(2);

    [Fact]
    public void With_loss_both_ways_the_transfer_is_byte_exact_and_RouterHost_counts_no_drop_for_what_it_never_saw()
    {
        var loss = new Impairment { Loss = 0.03 };
        ChaosOutcome outcome = Run("chl", loss, loss, seed: 101);

        Assert.True(outcome.TowardRouterHost.Lost > 0, outcome.Describe());
        Assert.True(outcome.TowardWireGuardGo.Lost > 0, outcome.Describe());
        outcome.AssertDrops(decryptFailed: 0, replayed: 0);
    }

    [Fact]
    public void With_delay_and_reordering_both_ways_the_transfer_is_byte_exact_and_nothing_inside_the_replay_window_is_dropped()
    {
        var delay = new Impairment { Delay = 0.2, DelayMin = TimeSpan.FromMilliseconds(1), DelayMax = TimeSpan.FromMilliseconds(6) };
        ChaosOutcome outcome = Run("chd", delay, delay, seed: 202);

        Assert.True(outcome.TowardRouterHost.Reordered > 0, outcome.Describe());
        Assert.True(outcome.TowardWireGuardGo.Reordered > 0, outcome.Describe());
        outcome.AssertDrops(decryptFailed: 0, replayed: 0);
    }

    [Fact]
    public void With_duplication_both_ways_the_transfer_is_byte_exact_and_every_duplicate_is_one_replay_drop()
    {
        var duplication = new Impairment { Duplication = 0.03 };
        ChaosOutcome outcome = Run("chu", duplication, duplication, seed: 303);

        Assert.True(outcome.TowardRouterHost.Duplicated > 0, outcome.Describe());
        outcome.AssertDrops(decryptFailed: 0, replayed: outcome.TowardRouterHost.Duplicated);
    }

    [Fact]
    public void With_corruption_both_ways_the_transfer_is_byte_exact_and_every_corrupted_datagram_fails_authentication()
    {
        var corruption = new Impairment { Corruption = 0.03 };
        ChaosOutcome outcome = Run("chc", corruption, corruption, seed: 404);

        Assert.True(outcome.TowardRouterHost.Corrupted > 0, outcome.Describe());
        outcome.AssertDrops(decryptFailed: outcome.TowardRouterHost.Corrupted, replayed: 0);
    }

    [Fact]
    public void With_corruption_anywhere_in_the_datagram_each_corrupted_one_is_exactly_one_drop_under_the_reason_its_damage_calls_for()
    {
        // Past the header the damage can only fail authentication; in it, it may also change the type or the receiver.
        var corruption = new Impairment { Corruption = 0.03 };
        ChaosOutcome outcome = Run("chh", corruption, Impairment.None, seed: 606, corruptFrom: 0);

        long corrupted = outcome.TowardRouterHost.Corrupted;
        Assert.True(corrupted > 0, outcome.Describe());
        Assert.True(outcome.TowardRouterHost.Sent == outcome.RouterHost.Received, outcome.Describe());
        Assert.True(corrupted == outcome.RouterHost.Drops.Values.Sum(), outcome.Describe());
        Assert.True(outcome.RouterHost.Drops.Keys.All(r => r is DecryptFailed or "wireguard.unknown_receiver" or "wireguard.not_wireguard" or "wireguard.bad_size" or "wireguard.handshake.bad_cookie_reply"), outcome.Describe());
        Assert.True(outcome.RouterHost.Drops.GetValueOrDefault(DecryptFailed) > corrupted / 2, outcome.Describe());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void With_everything_at_once_and_transfers_both_ways_both_are_byte_exact_and_every_count_matches(bool ipv6Underlay)
    {
        var all = new Impairment
        {
            Loss = 0.01, Corruption = 0.01, Duplication = 0.01, Delay = 0.1, DelayMin = TimeSpan.FromMilliseconds(1), DelayMax = TimeSpan.FromMilliseconds(6),
        };
        ChaosOutcome outcome = Run(ipv6Underlay ? "cha6" : "cha", all, all, seed: 505, bothWays: true, ipv6: ipv6Underlay);

        RelayCounts toRouterHost = outcome.TowardRouterHost;
        Assert.True(toRouterHost.Lost > 0 && toRouterHost.Corrupted > 0 && toRouterHost.Duplicated > 0 && toRouterHost.Reordered > 0, outcome.Describe());
        outcome.AssertDrops(decryptFailed: toRouterHost.Corrupted, replayed: toRouterHost.Duplicated);
    }

    /// <summary>A WireGuard transport message (type 4, three reserved zero bytes, at least header and tag): the ones the relay may impair.</summary>
    private static bool IsTransport(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= 32 && BinaryPrimitives.ReadUInt32LittleEndian(datagram) == 4;

    private static ChaosOutcome Run(
        string prefix, Impairment towardRouterHost, Impairment towardWireGuardGo, int seed, bool bothWays = false, bool ipv6 = false, int corruptFrom = TransportHeaderBytes)
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using NamespacePair net = TunnelNamespaces.Create(prefix);
        using var keys = new KeyPair();
        using WireGuardGoPeer peer = WireGuardGoPeer.Start(net.B, WireGuardGoPort, ["10.88.0.2/24", "fd88::2/64"]);
        peer.SetPeer(keys.PublicKey, "10.88.0.1/32,fd88::1/128");
        using ImpairmentRelay relay = ImpairmentRelay.Start(net.B, new ImpairmentRelayOptions
        {
            Listen = new IPEndPoint(ipv6 ? UnderlayB6 : UnderlayB4, RelayPort),
            Server = new IPEndPoint(ipv6 ? UnderlayB6 : UnderlayB4, WireGuardGoPort),
            TowardServer = towardWireGuardGo,
            TowardClient = towardRouterHost,
            Seed = seed,
            Impairable = IsTransport,
            CorruptFrom = corruptFrom,
        });
        var log = new CapturedLog();
        using RouterHostNode node = RouterHostNode.Start(
            RouterHostNode.Config(net.A, ["10.88.0.1/24", "fd88::1/64"], GoPeerTunnel.PeerSettings(keys, peer, Endpoint(sideA: false, ipv6, RelayPort), psk: null, extra: NoAqm)), log);
        string Context() => $"--- relay toward RouterHost: {relay.TowardClient}\n--- toward wireguard-go: {relay.TowardServer}\n--- RouterHost:\n{node.Describe()}\n{log.Text}";

        // RouterHost initiates (wireguard-go knows no endpoint); ping's exit status is 0 once any echo came back.
        ExecResult ping = Ping(net.A, OverlayB4, count: 5);
        Assert.True(ping.Succeeded, $"{ping.StdOut}{ping.StdErr}\n{Context()}\n--- wireguard-go:\n{peer.Log}");

        var watch = Stopwatch.StartNew();
        using var inward = BulkTransfer.Start(net.B, net.A, OverlayA4, 5301, Bytes, seed);
        using BulkTransfer? outward = bothWays ? BulkTransfer.Start(net.A, net.B, OverlayB4, 5302, Bytes, seed + 1) : null;
        inward.AssertCompletes(TransferLimit, Context);
        outward?.AssertCompletes(TransferLimit, Context);
        TimeSpan took = watch.Elapsed;

        // Stopped, the relay's counts are final; RouterHost then reads what is still in its socket.
        relay.Stop();
        RelayCounts toRouterHost = relay.TowardClient;
        Show show = Show.Read(node);
        var deadline = Stopwatch.StartNew();
        while (show.Received < toRouterHost.Sent && deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            Thread.Sleep(20);
            show = Show.Read(node);
        }

        Assert.Null(node.Fault);
        var outcome = new ChaosOutcome(toRouterHost, relay.TowardServer, show, took, Context());
        TestContext.Current.TestOutputHelper?.WriteLine(outcome.Summary());
        return outcome;
    }

    /// <summary>What a test looks at once the transfer is done and the relay stopped.</summary>
    private sealed record ChaosOutcome(RelayCounts TowardRouterHost, RelayCounts TowardWireGuardGo, Show RouterHost, TimeSpan Took, string Context)
    {
        public string Summary() =>
            $"transfer took {Took.TotalSeconds:0.0} s\nrelay toward RouterHost: {TowardRouterHost}\nrelay toward wireguard-go: {TowardWireGuardGo}\nRouterHost read {RouterHost.Received} datagrams, wireguard.* drops: [{string.Join(", ", RouterHost.Drops.Select(d => $"{d.Key} {d.Value}"))}]";

        public string Describe() => $"{Summary()}\n{Context}";

        /// <summary>
        /// RouterHost read every datagram the relay sent it, and its wireguard.* drops are exactly these (the others none).
        /// </summary>
        public void AssertDrops(long decryptFailed, long replayed)
        {
            Assert.True(TowardRouterHost.SendFailed == 0 && TowardRouterHost.NoReturnPath == 0 && TowardRouterHost.ReceiveFailed == 0, Describe());
            Assert.True(TowardRouterHost.Sent == RouterHost.Received, $"the relay sent RouterHost {TowardRouterHost.Sent} datagrams, RouterHost read {RouterHost.Received}\n{Describe()}");
            var expected = new SortedDictionary<string, long>(StringComparer.Ordinal);
            if (decryptFailed != 0)
            {
                expected[DecryptFailed] = decryptFailed;
            }

            if (replayed != 0)
            {
                expected[Replayed] = replayed;
            }

            Assert.True(
                expected.SequenceEqual(RouterHost.Drops),
                $"expected wireguard.* drops [{string.Join(", ", expected.Select(d => $"{d.Key} {d.Value}"))}]\n{Describe()}");
        }
    }

    /// <summary>
    /// The parts of RouterHost's status document (what <c>routerhost show --json</c> prints) these tests compare: the
    /// datagrams the WireGuard stage's sockets read (its source, "stage/wg", rx packets and rx drops), and every
    /// <c>wireguard.*</c> drop, from the stage's counts and its own status.
    /// </summary>
    private sealed record Show(long Received, SortedDictionary<string, long> Drops)
    {
        public static Show Read(RouterHostNode node)
        {
            using JsonDocument document = JsonDocument.Parse(StatusDocument.Create(node.Router, node.Runner, DateTime.UtcNow));
            JsonElement root = document.RootElement;
            long received = 0;
            foreach (JsonElement iface in root.GetProperty("interfaces").EnumerateArray())
            {
                if (iface.GetProperty("name").GetString() == "stage/wg")
                {
                    received += iface.GetProperty("rx_packets").GetInt64();
                    received += iface.GetProperty("rx_drops").EnumerateObject().Sum(d => d.Value.GetInt64());
                }
            }

            var drops = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (JsonElement stage in root.GetProperty("stages").EnumerateArray())
            {
                if (stage.GetProperty("name").GetString() != "wg")
                {
                    continue;
                }

                foreach (JsonProperty drop in stage.GetProperty("dropped").EnumerateObject().Concat(stage.GetProperty("status").GetProperty("drops").EnumerateObject()))
                {
                    if (drop.Name.StartsWith("wireguard.", StringComparison.Ordinal))
                    {
                        drops[drop.Name] = drops.GetValueOrDefault(drop.Name) + drop.Value.GetInt64();
                    }
                }
            }

            return new Show(received, drops);
        }
    }
}
