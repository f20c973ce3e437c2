using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Routing;
using RouterHost.Settings;

namespace RouterHost.Routing;

/// <summary>
/// The router's next hops: every distinct gateway address its routes name, interned to a small id that packets
/// carry in <see cref="Packet.NextHop"/> (0 is "the destination itself"). Append-only: an id keeps its address
/// for the table's lifetime, so ids stay valid across route reloads and a backend may cache what it resolved per
/// id. Interning takes a lock (control plane); <see cref="CopyAddress"/> is lock-free and allocation-free.
/// </summary>
public sealed class NextHopTable : INextHopTable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(byte Family, UInt128 Address), int> _ids = [];
    private Entry[] _entries = new Entry[16];
    private int _count;

    /// <inheritdoc />
    public int Count => Volatile.Read(ref _count);

    /// <summary>The id of <paramref name="address"/>, handing out the next one when it is new.</summary>
    public int Intern(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => Intern(4, IpPrefix.ToNumber(address)),
            AddressFamily.InterNetworkV6 => Intern(6, IpPrefix.ToNumber(address)),
            _ => throw new ArgumentException($"'{address}' is not an IPv4 or IPv6 address.", nameof(address)),
        };
    }

    /// <summary>The address of next hop <paramref name="id"/> (allocates; for the control plane), or null.</summary>
    public IPAddress? GetAddress(int id)
    {
        Span<byte> bytes = stackalloc byte[16];
        int length = CopyAddress(id, bytes);
        return length == 0 ? null : new IPAddress(bytes[..length]);
    }

    /// <inheritdoc />
    public int CopyAddress(int id, Span<byte> destination)
    {
        // The entry was written before the count that covers it was published (and never changes after).
        if (id <= 0 || id > Volatile.Read(ref _count))
        {
            return 0;
        }

        Entry[] entries = Volatile.Read(ref _entries);
        Entry entry = entries[id];
        if (entry.Family == 4 && destination.Length >= 4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)entry.Address);
            return 4;
        }

        if (entry.Family == 6 && destination.Length >= 16)
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination, (ulong)(entry.Address >> 64));
            BinaryPrimitives.WriteUInt64BigEndian(destination[8..], (ulong)entry.Address);
            return 16;
        }

        return 0;
    }

    /// <summary>Interns an address given as its family (4 or 6) and bits (IPv4 in the low 32 bits).</summary>
    internal int Intern(byte family, UInt128 address)
    {
        lock (_lock)
        {
            if (_ids.TryGetValue((family, address), out int existing))
            {
                return existing;
            }

            int id = _count + 1;
            Entry[] entries = _entries;
            if (id >= entries.Length)
            {
                var grown = new Entry[entries.Length * 2];
                entries.CopyTo(grown, 0);
                entries = grown;
            }

            entries[id] = new Entry(family, address);
            Volatile.Write(ref _entries, entries);
            _ids.Add((family, address), id);
            Volatile.Write(ref _count, id);
            return id;
        }
    }

    private readonly record struct Entry(byte Family, UInt128 Address);
}
