using System.Text;
using RouterHost.Linux;
using static RouterHost.Plugins.AfXdp.Interop.Bpf;

namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>The XSKMAP our program redirects into: key = RX queue index, value = the AF_XDP socket bound to it.</summary>
internal static class XskMap
{
    public const string Name = "routerhost_xsks";

    /// <summary>Creates a map for queue indices 0 .. <paramref name="entries"/> - 1.</summary>
    public static unsafe SafeFileDescriptor Create(int entries, string device)
    {
        var attr = new bpf_attr_map_create
        {
            map_type = BPF_MAP_TYPE_XSKMAP,
            key_size = 4,
            value_size = 4,
            max_entries = (uint)entries,
        };
        XdpProgram.CopyName(Encoding.ASCII.GetBytes(Name), attr.map_name);
        long fd = bpf(BPF_MAP_CREATE, ref attr);
        if (fd < 0)
        {
            throw LinuxException.FromErrno(Errno.Last, $"creating the XSKMAP for '{device}' (bpf BPF_MAP_CREATE, {entries} entries)");
        }

        return new SafeFileDescriptor((int)fd);
    }

    /// <summary>Puts <paramref name="socket"/> at <paramref name="queueId"/>.</summary>
    public static unsafe void Set(SafeFileDescriptor map, uint queueId, SafeFileDescriptor socket, string device)
    {
        bool mapAdded = false;
        bool socketAdded = false;
        try
        {
            map.DangerousAddRef(ref mapAdded);
            socket.DangerousAddRef(ref socketAdded);
            uint key = queueId;
            uint value = (uint)socket.Fd;
            var attr = new bpf_attr_map_elem
            {
                map_fd = (uint)map.Fd,
                key = (ulong)&key,
                value = (ulong)&value,
                flags = BPF_ANY,
            };
            if (bpf(BPF_MAP_UPDATE_ELEM, ref attr) < 0)
            {
                throw LinuxException.FromErrno(Errno.Last, $"putting the AF_XDP socket of '{device}' queue {queueId} into the XSKMAP");
            }
        }
        finally
        {
            if (socketAdded)
            {
                socket.DangerousRelease();
            }

            if (mapAdded)
            {
                map.DangerousRelease();
            }
        }
    }
}
