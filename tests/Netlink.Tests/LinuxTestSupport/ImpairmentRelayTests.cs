using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using RouterHost.Netlink.Tests.Support;

namespace RouterHost.Netlink.Tests.LinuxTestSupport;

/// <summary>
/// The impairment relay judged by what arrives: numbered datagrams whose payload is a function of their number, sent
/// through the relay on a namespace's loopback, so every loss, flipped byte, copy and overtaking is visible at the
/// server and must match the relay's own counts exactly (loopback neither loses nor reorders on its own).
/// </summary>
[NeedsRoot]
public sealed class ImpairmentRelayTests : IDisposable
{
    private const int Datagrams = 1000;
    private const int Size = 200;
    private const int HeaderBytes = 8; // the datagram's number; corruption starts after it

    private readonly NetworkNamespace _ns;
    private readonly Socket _client;
    private readonly Socket _server;

    public ImpairmentRelayTests()
    {
        Requires.NetworkNamespaces();
        _ns = NetworkNamespace.Create("relay");
        (_client, _server) = _ns.Run(() => (Open(), Open()));
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
        _ns.Dispose();
    }

    [Fact]
    public void Without_impairment_every_datagram_arrives_once_in_order_and_replies_go_back_to_the_client_that_sent()
    {
        using ImpairmentRelay relay = Start(Impairment.None, Impairment.None, seed: 1);
        SendNumbered(relay.Listen);
        WaitForReceived(relay, Datagrams);

        // The server answers the address it saw; the relay takes the answer back to the client.
        _server.SendTo("reply"u8, relay.ServerFacing);
        var buffer = new byte[64];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        int n = _client.ReceiveFrom(buffer, ref from);
        Assert.Equal("reply", System.Text.Encoding.ASCII.GetString(buffer, 0, n));
        Assert.Equal(relay.Listen, from);
        Assert.Equal(_client.LocalEndPoint, relay.Client);
        relay.Stop();

        List<Arrival> arrivals = DrainServer(relay.ServerFacing);
        Assert.Equal(Enumerable.Range(0, Datagrams).Select(i => (long)i), arrivals.Select(a => a.Number));
        Assert.All(arrivals, a => Assert.True(a.Intact));
        Assert.Equal(new RelayCounts(Received: Datagrams, 0, 0, 0, 0, 0, 0, 0, Sent: Datagrams, 0, 0, 0), relay.TowardServer);
        Assert.Equal(new RelayCounts(Received: 1, 0, 0, 0, 0, 0, 0, 0, Sent: 1, 0, 0, 0), relay.TowardClient);
    }

    [Fact]
    public void Loss_corruption_duplication_and_delay_at_the_server_are_exactly_what_the_relay_counted()
    {
        var impairment = new Impairment
        {
            Loss = 0.05, Corruption = 0.05, Duplication = 0.05, Delay = 0.2, DelayMin = TimeSpan.FromMilliseconds(1), DelayMax = TimeSpan.FromMilliseconds(5),
        };
        using ImpairmentRelay relay = Start(impairment, Impairment.None, seed: 7);
        SendNumbered(relay.Listen, pace: 50);
        WaitForReceived(relay, Datagrams);
        relay.Stop();

        RelayCounts counts = relay.TowardServer;
        List<Arrival> arrivals = DrainServer(relay.ServerFacing);
        var seen = new HashSet<long>();
        long duplicates = 0, corrupted = 0, overtaken = 0, highest = -1;
        foreach (Arrival a in arrivals)
        {
            duplicates += seen.Add(a.Number) ? 0 : 1;
            corrupted += a.Intact ? 0 : 1;
            overtaken += a.Number < highest ? 1 : 0;
            highest = Math.Max(highest, a.Number);
        }

        Assert.Equal(Datagrams, counts.Received);
        Assert.Equal(arrivals.Count, counts.Sent);
        Assert.Equal(Datagrams - counts.Lost, seen.Count);
        Assert.Equal(counts.Duplicated, duplicates);
        Assert.Equal(counts.Corrupted, corrupted);
        Assert.Equal(counts.Reordered, overtaken);
        Assert.Equal(counts.Received - counts.Lost + counts.Duplicated, counts.Sent);
        Assert.Equal(0, counts.SendFailed + counts.HoldRefused + counts.Passed + counts.NoReturnPath + counts.ReceiveFailed);

        // Every impairment happened, near its probability (seeded: the same numbers every run).
        Assert.InRange(counts.Lost, 25, 80);
        Assert.InRange(counts.Corrupted, 25, 80);
        Assert.InRange(counts.Duplicated, 25, 80);
        Assert.InRange(counts.Delayed, 150, 260);
        Assert.True(counts.Reordered > 0, counts.ToString());
    }

    [Fact]
    public void Datagrams_the_filter_refuses_pass_untouched_even_when_every_one_would_be_lost()
    {
        using ImpairmentRelay relay = Start(new Impairment { Loss = 1 }, Impairment.None, seed: 3, impairable: d => d[0] % 2 == 0);
        SendNumbered(relay.Listen);
        WaitForReceived(relay, Datagrams);
        relay.Stop();

        List<Arrival> arrivals = DrainServer(relay.ServerFacing);
        Assert.Equal(Enumerable.Range(0, Datagrams).Where(i => i % 2 == 1).Select(i => (long)i), arrivals.Select(a => a.Number));
        Assert.Equal(Datagrams / 2, relay.TowardServer.Passed);
        Assert.Equal(Datagrams / 2, relay.TowardServer.Lost);
    }

    [Fact]
    public void Stop_sends_what_is_still_held_so_nothing_counted_as_sent_stays_behind()
    {
        var hold = new Impairment { Delay = 1, DelayMin = TimeSpan.FromMinutes(10), DelayMax = TimeSpan.FromMinutes(10) };
        using ImpairmentRelay relay = Start(hold, Impairment.None, seed: 5);
        SendNumbered(relay.Listen, count: 20);
        WaitForReceived(relay, 20);
        Assert.Equal(0, _server.Available);

        relay.Stop();

        Assert.Equal(20, DrainServer(relay.ServerFacing).Count);
        Assert.Equal(20, relay.TowardServer.Delayed);
        Assert.Equal(20, relay.TowardServer.Sent);
    }

    [Fact]
    public void Datagrams_from_the_server_before_any_client_are_dropped_and_counted()
    {
        using ImpairmentRelay relay = Start(Impairment.None, Impairment.None, seed: 9);
        _server.SendTo("early"u8, relay.ServerFacing);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (relay.TowardClient.Received == 0 && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(5);
        }

        relay.Stop();
        Assert.Equal(1, relay.TowardClient.NoReturnPath);
        Assert.Equal(0, relay.TowardClient.Sent);
        Assert.Null(relay.Client);
    }

    [Theory]
    [InlineData(-0.1, 0, "TowardServer: Loss is -0.1")]
    [InlineData(0, 1.5, "TowardServer: Duplication is 1.5")]
    public void An_impairment_out_of_range_is_refused_naming_the_way_and_the_setting(double loss, double duplication, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => ImpairmentRelay.Start(_ns, Options(new Impairment { Loss = loss, Duplication = duplication }, Impairment.None, 0, null)));
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_delay_range_upside_down_is_refused_with_both_ends()
    {
        var upsideDown = new Impairment { DelayMin = TimeSpan.FromMilliseconds(5), DelayMax = TimeSpan.FromMilliseconds(1) };
        var e = Assert.Throws<ArgumentException>(() => ImpairmentRelay.Start(_ns, Options(Impairment.None, upsideDown, 0, null)));
        Assert.Equal("TowardClient: DelayMin (5 ms) must be at least 0 and at most DelayMax (1 ms)", e.Message);
    }

    private static Socket Open()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        ImpairmentRelay.SetBuffer(socket, ImpairmentRelay.SO_RCVBUFFORCE, SocketOptionName.ReceiveBuffer);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.ReceiveTimeout = 10_000;
        return socket;
    }

    private ImpairmentRelayOptions Options(Impairment towardServer, Impairment towardClient, int seed, DatagramFilter? impairable) => new()
    {
        Listen = new IPEndPoint(IPAddress.Loopback, 0),
        Server = (IPEndPoint)_server.LocalEndPoint!,
        TowardServer = towardServer,
        TowardClient = towardClient,
        Seed = seed,
        Impairable = impairable,
        CorruptFrom = HeaderBytes,
    };

    private ImpairmentRelay Start(Impairment towardServer, Impairment towardClient, int seed, DatagramFilter? impairable = null) =>
        ImpairmentRelay.Start(_ns, Options(towardServer, towardClient, seed, impairable));

    /// <summary>Sends datagrams 0..count-1 (number, then bytes derived from it), pausing 1 ms every <paramref name="pace"/> so delays overlap traffic.</summary>
    private void SendNumbered(IPEndPoint to, int count = Datagrams, int pace = 0)
    {
        var datagram = new byte[Size];
        for (int i = 0; i < count; i++)
        {
            Fill(datagram, i);
            _client.SendTo(datagram, to);
            if (pace > 0 && i % pace == pace - 1)
            {
                Thread.Sleep(1);
            }
        }
    }

    private static void Fill(Span<byte> datagram, long number)
    {
        BinaryPrimitives.WriteInt64LittleEndian(datagram, number);
        for (int i = HeaderBytes; i < datagram.Length; i++)
        {
            datagram[i] = (byte)((number * 31) + i);
        }
    }

    private static void WaitForReceived(ImpairmentRelay relay, long count)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (relay.TowardServer.Received < count)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"the relay read {relay.TowardServer.Received} of {count} datagrams");
            Thread.Sleep(5);
        }
    }

    /// <summary>Everything waiting at the server (the relay has stopped, so it is all there), checking each came from the relay.</summary>
    private List<Arrival> DrainServer(IPEndPoint relay)
    {
        var arrivals = new List<Arrival>();
        var buffer = new byte[2048];
        var expected = new byte[Size];
        while (_server.Available > 0)
        {
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int n = _server.ReceiveFrom(buffer, ref from);
            Assert.Equal(relay, from);
            long number = BinaryPrimitives.ReadInt64LittleEndian(buffer);
            Fill(expected, number);
            arrivals.Add(new Arrival(number, n == Size && buffer.AsSpan(0, n).SequenceEqual(expected)));
        }

        return arrivals;
    }

    private readonly record struct Arrival(long Number, bool Intact);
}
