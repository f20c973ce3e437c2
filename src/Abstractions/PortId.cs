using System.Runtime.CompilerServices;

namespace RouterHost.Abstractions;

/// <summary>
/// Identifies a port (an interface or a peer) in a packet's ingress and egress, cheaply: the kind lives
/// in the top two bits and the index in the kind's own numbering in the rest. <c>default</c> is "none".
/// </summary>
public readonly struct PortId : IEquatable<PortId>
{
    private const int KindShift = 30;
    private const uint IndexMask = (1u << KindShift) - 1;

    /// <summary>The largest index a port of one kind can have.</summary>
    public const int MaxIndex = (int)IndexMask;

    private readonly uint _value;

    private PortId(uint value) => _value = value;

    /// <summary>No port.</summary>
    public static PortId None => default;

    /// <summary>The router itself.</summary>
    public static PortId Local => new((uint)PortKind.Local << KindShift);

    /// <summary>The interface with the given index.</summary>
    public static PortId Interface(int index) => Create(PortKind.Interface, index);

    /// <summary>The peer with the given index.</summary>
    public static PortId Peer(int index) => Create(PortKind.Peer, index);

    /// <summary>
    /// The port id whose <see cref="Value"/> is <paramref name="value"/> (a stage that swaps a port id atomically
    /// stores its value in a <see cref="uint"/> field).
    /// </summary>
    public static PortId FromValue(uint value) => new(value);

    /// <summary>Builds a port id from its kind and index.</summary>
    public static PortId Create(PortKind kind, int index)
    {
        if ((uint)index > IndexMask)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"A port index must be between 0 and {MaxIndex}.");
        }

        return new PortId(((uint)kind << KindShift) | (uint)index);
    }

    /// <summary>The kind of port.</summary>
    public PortKind Kind
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (PortKind)(_value >> KindShift);
    }

    /// <summary>The index among ports of the same kind.</summary>
    public int Index
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)(_value & IndexMask);
    }

    /// <summary>Whether this is <see cref="None"/>.</summary>
    public bool IsNone => _value == 0;

    /// <summary>The raw encoded value (for tables and hashing).</summary>
    public uint Value => _value;

    /// <inheritdoc />
    public bool Equals(PortId other) => _value == other._value;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PortId other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => (int)_value;

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        PortKind.None => "none",
        PortKind.Local => "local",
        _ => $"{Kind.ToString().ToLowerInvariant()}#{Index}",
    };

    /// <summary>Equality.</summary>
    public static bool operator ==(PortId left, PortId right) => left._value == right._value;

    /// <summary>Inequality.</summary>
    public static bool operator !=(PortId left, PortId right) => left._value != right._value;
}
