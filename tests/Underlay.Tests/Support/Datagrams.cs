using System.Buffers.Binary;
using RouterHost.Abstractions;

namespace RouterHost.Underlay.Tests.Support;

/// <summary>Test datagrams in pinned memory (as the sender requires), with contents that say which one they are.</summary>
internal static class Datagrams
{
    /// <summary>A pinned datagram of <paramref name="length"/> bytes: its index in the first 4 bytes (when it has room), then a pattern.</summary>
    public static byte[] Make(int index, int length)
    {
        byte[] bytes = GC.AllocateArray<byte>(length, pinned: true);
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)((i * 7) + (index * 13) + 1);
        }

        if (length >= 4)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes, index);
        }

        return bytes;
    }

    /// <summary>Many datagrams: lengths from <paramref name="length"/>.</summary>
    public static byte[][] Many(int count, Func<int, int> length) =>
        Enumerable.Range(0, count).Select(i => Make(i, length(i))).ToArray();

    /// <summary>Reads from <paramref name="queue"/> until <paramref name="packets"/> packets arrived (their bytes copied) or 20 s passed (then what arrived).</summary>
    public static List<Received> Collect(UdpReceiveQueue queue, int packets, PacketBatch? batch = null, DropTally? drops = null)
    {
        batch ??= new PacketBatch(64);
        var result = new List<Received>();
        using var watchdog = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using CancellationTokenRegistration registration = watchdog.Token.Register(queue.Close);
        while (result.Count < packets && queue.Read(batch))
        {
            for (int i = 0; i < batch.ReadDrops.ReasonCount; i++)
            {
                var (reason, count) = batch.ReadDrops.GetEntry(i);
                drops?.Add(reason, count);
            }

            for (int i = 0; i < batch.Count; i++)
            {
                ref Packet p = ref batch[i];
                result.Add(new Received(p.Data.ToArray(), queue.Source(p.SourceSlot), queue.Destination(p.SourceSlot), p.SourceSlot, p.Headroom, p.Tailroom));
            }
        }

        return result;
    }

    public sealed record Received(byte[] Bytes, UdpEndpoint Source, UdpEndpoint Destination, uint SourceSlot, int Headroom, int Tailroom);
}
