using RouterHost.Abstractions;

namespace RouterHost.Packets.Tests;

/// <summary>Records what a coalescer writes: each output as one flat packet plus its GSO metadata.</summary>
internal sealed class RecordingSink : IGsoSink
{
    public List<(byte[] Bytes, GsoInfo Gso, int Fragments)> Writes { get; } = [];

    public DropReason Result { get; set; } = DropReason.None;

    public DropReason Write(in Packet packet)
    {
        Writes.Add((packet.Data.ToArray(), packet.Gso, 1));
        return Result;
    }

    public DropReason WriteGso(Span<byte> header, ReadOnlySpan<ReadOnlyMemory<byte>> payloads, in GsoInfo gso)
    {
        int length = header.Length;
        foreach (ReadOnlyMemory<byte> payload in payloads)
        {
            length += payload.Length;
        }

        byte[] flat = new byte[length];
        header.CopyTo(flat);
        int at = header.Length;
        foreach (ReadOnlyMemory<byte> payload in payloads)
        {
            payload.Span.CopyTo(flat.AsSpan(at));
            at += payload.Length;
        }

        Writes.Add((flat, gso, payloads.Length));
        return Result;
    }
}
