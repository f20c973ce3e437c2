namespace RouterHost.Abstractions;

/// <summary>
/// A stage source's own handle for the datagram a packet came in (<see cref="Packet.SourceSlot"/>): for a UDP source,
/// the receive slot that resolves who sent it. A struct of its own, not a bare number, so it packs into
/// <see cref="Packet"/>'s padding and keeps the packet within one cache line.
/// </summary>
/// <param name="Index">The slot's number within its source.</param>
public readonly record struct SourceSlot(ushort Index)
{
    /// <summary>A slot from its number.</summary>
    public static implicit operator SourceSlot(ushort index) => new(index);

    /// <summary>The slot's number.</summary>
    public static implicit operator uint(SourceSlot slot) => slot.Index;
}
