using RouterHost.Underlay;
using RouterHost.WireGuard.Stage;

namespace RouterHost.WireGuard.Tests.Stage;

public sealed class HandshakeQueueTests
{
    [Fact]
    public void Messages_come_out_in_order_with_their_endpoints_and_a_full_queue_refuses_more()
    {
        var queue = new HandshakeQueue(4);
        UdpEndpoint from = UdpEndpoint.Create(System.Net.IPAddress.Parse("192.0.2.1"), 1000);
        UdpEndpoint to = UdpEndpoint.Create(System.Net.IPAddress.Parse("192.0.2.2"), 2000);
        for (byte i = 0; i < 4; i++)
        {
            Assert.True(queue.TryEnqueue(new byte[] { i, 1, 2 }, from, to, i % 2, 100 + i));
        }

        Assert.False(queue.TryEnqueue(new byte[] { 9 }, from, to, 0, 0));
        Assert.Equal(4, queue.Count);
        var buffer = new byte[148];
        for (byte i = 0; i < 4; i++)
        {
            Assert.True(queue.TryDequeue(buffer, out int length, out UdpEndpoint source, out UdpEndpoint destination, out int sourceQueue, out long received));
            Assert.Equal(3, length);
            Assert.Equal(i, buffer[0]);
            Assert.Equal(from, source);
            Assert.Equal(to, destination);
            Assert.Equal(i % 2, sourceQueue);
            Assert.Equal(100 + i, received);
        }

        Assert.False(queue.TryDequeue(buffer, out _, out _, out _, out _, out _));
        Assert.True(queue.TryEnqueue(new byte[148], from, to, 0, 0), "the ring is reusable");
        Assert.False(queue.TryEnqueue(new byte[149], from, to, 0, 0), "longer than any handshake message");
    }

    [Fact]
    public void Many_producers_and_one_consumer_lose_and_duplicate_nothing()
    {
        var queue = new HandshakeQueue(64);
        const int Producers = 4;
        const int PerProducer = 50_000;
        var seen = new bool[Producers * PerProducer];
        long refused = 0;
        var producers = Enumerable.Range(0, Producers).Select(p => new Thread(() =>
        {
            var message = new byte[8];
            for (int i = 0; i < PerProducer; i++)
            {
                BitConverter.TryWriteBytes(message, (p * PerProducer) + i);
                while (!queue.TryEnqueue(message, default, default, 0, 0))
                {
                    Interlocked.Increment(ref refused);
                    Thread.Yield();
                }
            }
        })).ToList();
        producers.ForEach(t => t.Start());
        var buffer = new byte[148];
        int taken = 0;
        while (taken < seen.Length)
        {
            if (queue.TryDequeue(buffer, out int length, out _, out _, out _, out _))
            {
                Assert.Equal(8, length);
                int id = BitConverter.ToInt32(buffer);
                Assert.False(seen[id], $"message {id} came out twice");
                seen[id] = true;
                taken++;
            }
        }

        producers.ForEach(t => t.Join());
        Assert.All(seen, Assert.True);
        Assert.Equal(0, queue.Count);
    }
}
