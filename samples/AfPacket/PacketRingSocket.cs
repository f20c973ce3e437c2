using System.Runtime.InteropServices;
using RouterHost.Samples.AfPacket.Interop;
using static RouterHost.Samples.AfPacket.Interop.PacketSocketAbi;

namespace RouterHost.Samples.AfPacket;

/// <summary>
/// One AF_PACKET socket of an interface: SOCK_RAW, TPACKET_V3 receive ring mapped into the process, PACKET_VNET_HDR
/// (offloads), PACKET_IGNORE_OUTGOING (it never reads what the host — or the router itself — sends), bound to the device
/// for every protocol, and a member of the interface's PACKET_FANOUT group (hash mode) when the interface has more than
/// one queue. Owns the descriptor and the mapping.
/// </summary>
internal sealed unsafe class PacketRingSocket : IDisposable
{
    private PacketRingSocket(SafeFd fd, SafeMapping ring)
    {
        Fd = fd;
        Ring = ring;
    }

    /// <summary>The socket.</summary>
    public SafeFd Fd { get; }

    /// <summary>The mapped receive ring.</summary>
    public SafeMapping Ring { get; }

    /// <summary>No fanout group (an interface with one queue).</summary>
    public const int NoFanout = -1;

    /// <summary>Create a fanout group with an id the kernel chooses (the first queue of an interface).</summary>
    public const int NewFanoutGroup = -2;

    /// <summary>
    /// Opens a socket on <paramref name="device"/> with the ring <paramref name="settings"/> ask for and joins fanout group
    /// <paramref name="fanoutGroup"/> (<see cref="NewFanoutGroup"/>: creates one, and returns its id; <see cref="NoFanout"/>).
    /// </summary>
    public static PacketRingSocket Open(Device device, AfPacketSettings settings, ref int fanoutGroup, string interfaceName)
    {
        string where = $"interface '{interfaceName}' (device '{device.Name}')";
        int raw = Libc.socket(Libc.AF_PACKET, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, 0);
        if (raw < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw Errors.Native(errno, $"{where}: socket(AF_PACKET, SOCK_RAW){(errno == 1 ? " (RouterHost needs CAP_NET_RAW)" : string.Empty)}");
        }

        var fd = new SafeFd(raw);
        SafeMapping? ring = null;
        try
        {
            SetInt(fd, PACKET_VERSION, TPACKET_V3, where, "PACKET_VERSION TPACKET_V3");
            if (settings.Offloads)
            {
                SetInt(fd, PACKET_VNET_HDR, 1, where, "PACKET_VNET_HDR (set Offloads to false on a kernel without it)");
            }

            SetInt(fd, PACKET_IGNORE_OUTGOING, 1, where, "PACKET_IGNORE_OUTGOING (Linux 4.20 or later)");
            var request = new tpacket_req3
            {
                tp_block_size = (uint)settings.BlockSize,
                tp_block_nr = (uint)settings.BlockCount,
                tp_frame_size = AfPacketSettings.FrameSize,
                tp_frame_nr = (uint)((long)settings.BlockSize / AfPacketSettings.FrameSize * settings.BlockCount),
                tp_retire_blk_tov = (uint)settings.BlockTimeout.TotalMilliseconds,
            };
            if (Libc.setsockopt(fd.Value, SOL_PACKET, PACKET_RX_RING, &request, (uint)sizeof(tpacket_req3)) != 0)
            {
                throw Errors.Native(Marshal.GetLastPInvokeError(), $"{where}: PACKET_RX_RING of {settings.BlockCount} blocks of {settings.BlockSize} bytes (lower BlockSize or BlockCount)");
            }

            ring = SafeMapping.Map(fd, (nuint)((long)settings.BlockSize * settings.BlockCount), $"{where}: the receive ring");
            var address = new sockaddr_ll
            {
                sll_family = Libc.AF_PACKET,
                sll_protocol = (ushort)((ETH_P_ALL >> 8) | ((ETH_P_ALL & 0xFF) << 8)),
                sll_ifindex = device.Index,
            };
            if (Libc.bind(fd.Value, &address, (uint)sizeof(sockaddr_ll)) != 0)
            {
                throw Errors.Native(Marshal.GetLastPInvokeError(), $"{where}: bind to ifindex {device.Index}");
            }

            if (fanoutGroup != NoFanout)
            {
                JoinFanout(fd, ref fanoutGroup, where);
            }

            return new PacketRingSocket(fd, ring);
        }
        catch
        {
            ring?.Dispose();
            fd.Dispose();
            throw;
        }
    }

    /// <summary>PACKET_STATISTICS since the last call (the kernel resets them on read); false when the socket is gone.</summary>
    public bool TryReadStatistics(out tpacket_stats_v3 statistics)
    {
        statistics = default;
        bool added = false;
        Fd.DangerousAddRef(ref added);
        try
        {
            uint length = (uint)sizeof(tpacket_stats_v3);
            fixed (tpacket_stats_v3* p = &statistics)
            {
                return Libc.getsockopt(Fd.Value, SOL_PACKET, PACKET_STATISTICS, p, &length) == 0;
            }
        }
        finally
        {
            if (added)
            {
                Fd.DangerousRelease();
            }
        }
    }

    public void Dispose()
    {
        Fd.Dispose();
        Ring.Dispose();
    }

    private static void JoinFanout(SafeFd fd, ref int group, string where)
    {
        int argument = group == NewFanoutGroup
            ? (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_UNIQUEID) << 16
            : (PACKET_FANOUT_HASH << 16) | group;
        if (Libc.setsockopt(fd.Value, SOL_PACKET, PACKET_FANOUT, &argument, sizeof(int)) != 0)
        {
            throw Errors.Native(Marshal.GetLastPInvokeError(), $"{where}: PACKET_FANOUT (hash) {(group == NewFanoutGroup ? "creating the group" : $"joining group {group}")}");
        }

        if (group == NewFanoutGroup)
        {
            int value = 0;
            uint length = sizeof(int);
            if (Libc.getsockopt(fd.Value, SOL_PACKET, PACKET_FANOUT, &value, &length) != 0)
            {
                throw Errors.Native(Marshal.GetLastPInvokeError(), $"{where}: reading the PACKET_FANOUT group id");
            }

            group = value & 0xFFFF;
        }
    }

    private static void SetInt(SafeFd fd, int option, int value, string where, string what)
    {
        if (Libc.setsockopt(fd.Value, SOL_PACKET, option, &value, sizeof(int)) != 0)
        {
            throw Errors.Native(Marshal.GetLastPInvokeError(), $"{where}: setsockopt {what}");
        }
    }
}
