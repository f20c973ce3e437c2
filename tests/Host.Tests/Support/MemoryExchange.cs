using System.Threading.Channels;

namespace RouterHost.Tests.Support;

/// <summary>
/// Talks to the Memory test backend across its load context through BCL types only: each of its queues
/// publishes channels in <see cref="AppContext"/> data under a per-test exchange id.
/// </summary>
internal sealed class MemoryExchange(string id)
{
    public string Id { get; } = id;

    public static MemoryExchange New() => new(Guid.NewGuid().ToString("N"));

    public void Inject(string iface, int queue, byte[] packet)
    {
        if (!Channel(iface, queue, "in").Writer.TryWrite(packet))
        {
            throw new InvalidOperationException($"could not inject into {iface}/{queue}");
        }
    }

    /// <summary>Packets written to a queue by the Write path (out) or by WriteFromSelf (self).</summary>
    public List<byte[]> Take(string iface, int queue, string path, int count, TimeSpan timeout)
    {
        ChannelReader<byte[]> reader = Channel(iface, queue, path).Reader;
        var result = new List<byte[]>();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (result.Count < count)
            {
                result.Add(reader.ReadAsync(cts.Token).AsTask().GetAwaiter().GetResult());
            }
        }
        catch (OperationCanceledException)
        {
        }

        return result;
    }

    /// <summary>Whatever is waiting on a queue's path right now.</summary>
    public List<byte[]> Drain(string iface, int queue, string path)
    {
        var result = new List<byte[]>();
        ChannelReader<byte[]> reader = Channel(iface, queue, path).Reader;
        while (reader.TryRead(out byte[]? packet))
        {
            result.Add(packet);
        }

        return result;
    }

    public bool IsPublished(string iface, int queue) => AppContext.GetData(Key(iface, queue, "in")) is not null;

    private Channel<byte[]> Channel(string iface, int queue, string path) =>
        AppContext.GetData(Key(iface, queue, path)) as Channel<byte[]>
        ?? throw new InvalidOperationException($"the Memory backend has no {path} channel for {iface}/{queue} in exchange {Id}");

    private string Key(string iface, int queue, string path) => $"RouterHost.Memory/{Id}/{iface}/{queue}/{path}";
}
