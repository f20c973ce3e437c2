using System.Net;
using RouterHost.Abstractions;
using RouterHost.Underlay.Tests.Support;

namespace RouterHost.Underlay.Tests;

/// <summary>Sparse datagrams first: a small datagram read with bulk ones in one recvmmsg is delivered before them.</summary>
public sealed class UdpSparseFirstTests
{
    private const int Headroom = 64;
    private const int Tailroom = 32;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_small_datagram_read_behind_bulk_ones_is_delivered_first_and_each_kind_keeps_its_order(bool sparseFirst)
    {
        using UdpSocket receiver = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback) { Gro = true });
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback) { Gso = true });
        using var queue = new UdpReceiveQueue(receiver, 0, 64, Headroom, Tailroom) { SparseFirst = sparseFirst };
        var sender = new UdpBatchSender(socket, 64);
        // 30 bulk datagrams, a ping-sized one, 10 bulk, two more small ones (one at the limit), 5 bulk.
        byte[][] datagrams =
        [
            .. Datagrams.Many(30, _ => 1452),
            Datagrams.Make(100, 128),
            .. Enumerable.Range(30, 10).Select(i => Datagrams.Make(i, 1452)),
            Datagrams.Make(101, 96),
            Datagrams.Make(102, UdpReceiveQueue.SparseDatagramBytes),
            .. Enumerable.Range(40, 5).Select(i => Datagrams.Make(i, 1452)),
        ];
        var drops = new DropTally();
        int sent = 0;
        foreach (int[] part in new[] { new[] { 0, 30 }, [30, 31], [31, 41], [41, 42], [42, 43], [43, 48] })
        {
            // One message each (a small datagram would otherwise join the run before it as its shorter last segment).
            foreach (byte[] d in datagrams[part[0]..part[1]])
            {
                Assert.True(sender.TryAdd(receiver.LocalEndpoint, d));
            }

            sent += sender.Flush(drops);
        }

        Assert.Equal(datagrams.Length, sent);

        // The bulk runs leave as GSO messages and arrive coalesced (loopback hands a GSO skb to a GRO socket whole):
        // one recvmmsg takes the 6 datagrams, and batches of 16 deliver their 48 packets.
        var batch = new PacketBatch(16);
        var bytes = new List<byte[]>();
        while (bytes.Count < datagrams.Length)
        {
            bytes.AddRange(Datagrams.Collect(queue, 1, batch).Select(p => p.Bytes));
        }

        Assert.Equal(6, queue.DatagramsReceived);
        Assert.Equal(3, queue.CoalescedDatagrams);
        byte[][] small = [datagrams[30], datagrams[41], datagrams[42]];
        byte[][] bulk = [.. datagrams.Where(d => d.Length > UdpReceiveQueue.SparseDatagramBytes)];
        Assert.Equal(sparseFirst ? [.. small, .. bulk] : datagrams, bytes);
        Assert.Equal(sparseFirst ? 3 : 0, queue.SparseAhead);
    }
}
