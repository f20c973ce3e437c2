using RouterHost.Abstractions;

namespace RouterHost.TestPlugins.MemoryBackend;

/// <summary>The Memory backend's interface: its queues, closed in order.</summary>
internal sealed class MemoryContainer : IContainer
{
    private readonly MemoryQueue[] _queues;

    public MemoryContainer(string name, string exchange, int queues, bool generate, int packetSize, bool gso, int batchSize, long failAfterReads, bool refuseAtFlush)
    {
        Name = name;
        _queues = new MemoryQueue[queues];
        for (int i = 0; i < queues; i++)
        {
            _queues[i] = new MemoryQueue(name, exchange, i, generate, packetSize, gso, batchSize, failAfterReads, refuseAtFlush);
        }
    }

    public string Name { get; }

    public IReadOnlyList<IQueue> Queues => _queues;

    public void Close()
    {
        foreach (MemoryQueue queue in _queues)
        {
            queue.Close();
        }
    }

    public void Dispose()
    {
        foreach (MemoryQueue queue in _queues)
        {
            queue.Dispose();
        }
    }
}
