using RouterHost.Plugins.AfXdp.Internal;

namespace RouterHost.Plugins.AfXdp.Tests;

public sealed class NeighbourRequestQueueTests
{
    [Fact]
    public void A_full_queue_refuses_and_counts_and_takes_again_once_drained()
    {
        var queue = new NeighbourRequestQueue(4);
        for (int i = 1; i <= 4; i++)
        {
            Assert.True(queue.TryEnqueue(new NeighbourRequest(i, 0, 0)));
        }

        Assert.False(queue.TryEnqueue(new NeighbourRequest(5, 0, 0)));
        Assert.Equal(1, queue.Refused);
        Assert.True(queue.TryDequeue(out NeighbourRequest first));
        Assert.Equal(1, first.NextHop);
        Assert.True(queue.TryEnqueue(new NeighbourRequest(6, 0, 0)));
    }

    [Fact]
    public void Four_producers_and_one_consumer_lose_and_duplicate_nothing()
    {
        var queue = new NeighbourRequestQueue(64);
        const int PerProducer = 50_000;
        var seen = new bool[4 * PerProducer];
        int taken = 0;
        var producers = Enumerable.Range(0, 4).Select(p => new Thread(() =>
        {
            for (int i = 0; i < PerProducer; i++)
            {
                var request = new NeighbourRequest((p * PerProducer) + i + 1, 4, 0);
                while (!queue.TryEnqueue(request))
                {
                    Thread.SpinWait(10);
                }
            }
        })).ToArray();
        foreach (Thread t in producers)
        {
            t.Start();
        }

        while (taken < seen.Length)
        {
            if (queue.TryDequeue(out NeighbourRequest request))
            {
                Assert.False(seen[request.NextHop - 1], $"request {request.NextHop} came twice");
                seen[request.NextHop - 1] = true;
                taken++;
            }
        }

        foreach (Thread t in producers)
        {
            t.Join();
        }

        Assert.All(seen, Assert.True);
        Assert.False(queue.TryDequeue(out _));
    }
}
