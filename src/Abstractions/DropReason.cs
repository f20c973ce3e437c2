using System.Runtime.CompilerServices;

namespace RouterHost.Abstractions;

/// <summary>
/// Why a packet was dropped: a small registered number, so counting it costs an array increment. Reasons are
/// registered once by name (at startup; names are dotted, e.g. <c>tun.virtio.bad_csum_start</c>) and the same
/// name always yields the same reason. <c>default</c> means "not dropped".
/// </summary>
public readonly struct DropReason : IEquatable<DropReason>
{
    /// <summary>How many distinct reasons a process can register.</summary>
    public const int MaxReasons = 1024;

    private static readonly string[] s_names = CreateNames();
    private static readonly Dictionary<string, ushort> s_ids = new(StringComparer.Ordinal) { ["none"] = 0 };
    private static readonly Lock s_lock = new();
    private static int s_count = 1;

    private readonly ushort _id;

    private DropReason(ushort id) => _id = id;

    /// <summary>Not dropped.</summary>
    public static DropReason None => default;

    /// <summary>A packet too short or inconsistent to parse.</summary>
    public static DropReason Malformed { get; } = Register("malformed");

    /// <summary>No stage gave the packet an egress.</summary>
    public static DropReason NoEgress { get; } = Register("no_egress");

    /// <summary>The packet's egress port does not exist or cannot take packets.</summary>
    public static DropReason EgressUnavailable { get; } = Register("egress_unavailable");

    /// <summary>A packet for a peer that the stage owning the peer did not take when handed it (or a peer no stage of the chain owns).</summary>
    public static DropReason PeerNotHandled { get; } = Register("peer_not_handled");

    /// <summary>A superpacket reached an egress that cannot take it and could not be segmented.</summary>
    public static DropReason GsoUnsupported { get; } = Register("gso_unsupported");

    /// <summary>A stage emitted more packets than the batch had room for, or emitted too deep.</summary>
    public static DropReason EmitOverflow { get; } = Register("emit_overflow");

    /// <summary>The device's queue or ring was full.</summary>
    public static DropReason QueueFull { get; } = Register("queue_full");

    /// <summary>Larger than the device or buffer can carry.</summary>
    public static DropReason TooLarge { get; } = Register("too_large");

    /// <summary>The queue was closed while the packet was in flight.</summary>
    public static DropReason Closed { get; } = Register("closed");

    /// <summary>The device refused the write (the backend logs the errno).</summary>
    public static DropReason WriteFailed { get; } = Register("write_failed");

    /// <summary>The numeric id (0 = none), an index for counter arrays sized <see cref="MaxReasons"/>.</summary>
    public int Id
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _id;
    }

    /// <summary>Whether this is <see cref="None"/>.</summary>
    public bool IsNone => _id == 0;

    /// <summary>The registered name.</summary>
    public string Name => s_names[_id];

    /// <summary>How many reasons are registered (ids are 0 .. Count-1).</summary>
    public static int Count => Volatile.Read(ref s_count);

    /// <summary>Registers (or finds) the reason with this name. Call at startup, not per packet.</summary>
    public static DropReason Register(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        lock (s_lock)
        {
            if (s_ids.TryGetValue(name, out ushort existing))
            {
                return new DropReason(existing);
            }

            if (s_count >= MaxReasons)
            {
                throw new InvalidOperationException($"Cannot register drop reason '{name}': all {MaxReasons} reasons are in use.");
            }

            ushort id = (ushort)s_count;
            s_names[id] = name;
            s_ids.Add(name, id);
            Volatile.Write(ref s_count, s_count + 1);
            return new DropReason(id);
        }
    }

    /// <summary>The reason with the given id, for reporting counters.</summary>
    public static DropReason FromId(int id)
    {
        if ((uint)id >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, "No drop reason has this id.");
        }

        return new DropReason((ushort)id);
    }

    /// <inheritdoc />
    public bool Equals(DropReason other) => _id == other._id;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is DropReason other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _id;

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>Equality.</summary>
    public static bool operator ==(DropReason left, DropReason right) => left._id == right._id;

    /// <summary>Inequality.</summary>
    public static bool operator !=(DropReason left, DropReason right) => left._id != right._id;

    private static string[] CreateNames()
    {
        var names = new string[MaxReasons];
        names[0] = "none";
        return names;
    }
}
