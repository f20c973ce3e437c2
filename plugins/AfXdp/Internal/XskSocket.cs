using RouterHost.Linux;
using static RouterHost.Linux.Interop.Libc;
using static RouterHost.Plugins.AfXdp.Interop.Xsk;

namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>
/// One AF_XDP socket bound to one queue of a device, with its own UMEM: the UMEM is page-aligned anonymous memory
/// registered with the full-size <c>xdp_umem_reg</c>; the fill, completion, RX and TX rings are sized from
/// configuration, found with XDP_MMAP_OFFSETS and mmapped; the bind asks for copy, zero-copy or either, and for
/// need-wakeup (dropped when the kernel does not know it). Every mapping and the socket are SafeHandles, released in
/// <see cref="Dispose"/> (socket first, then the rings, then the UMEM).
/// </summary>
internal sealed unsafe class XskSocket : IDisposable, IXskKicker
{
    private readonly List<SafeMmapHandle> _maps = [];
    private int _disposed;

    private XskSocket(SafeFileDescriptor fd, SafeMmapHandle umem, UmemLayout layout)
    {
        Fd = fd;
        UmemMapping = umem;
        Layout = layout;
        Umem = new UmemMemoryManager(umem.Pointer, checked((int)umem.Length));
    }

    public SafeFileDescriptor Fd { get; }

    public SafeMmapHandle UmemMapping { get; }

    public UmemMemoryManager Umem { get; }

    public UmemLayout Layout { get; }

    public XskRing Fill { get; private set; } = null!;

    public XskRing Completion { get; private set; } = null!;

    public XskRing Rx { get; private set; } = null!;

    public XskRing Tx { get; private set; } = null!;

    /// <summary>Whether the kernel bound it zero-copy (XDP_OPTIONS_ZEROCOPY).</summary>
    public bool ZeroCopy { get; private set; }

    /// <summary>Whether it was bound with XDP_USE_NEED_WAKEUP.</summary>
    public bool NeedWakeup { get; private set; }

    /// <summary>
    /// Frames one copy-mode kick hands the kernel: the TX ring's size where the kernel takes XDP_MAX_TX_SKB_BUDGET
    /// (6.17+), TX_BATCH_SIZE (32) where it does not.
    /// </summary>
    public int TxBudget { get; private set; } = TX_BATCH_SIZE;

    public static XskSocket Open(int ifindex, uint queueId, XskSocketOptions options, string device)
    {
        string what = $"'{device}' queue {queueId}";
        SafeMmapHandle umem = SafeMmapHandle.Anonymous((nuint)options.Layout.Bytes, $"the UMEM of {what}");
        int raw = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
        if (raw < 0)
        {
            int errno = Errno.Last;
            umem.Dispose();
            throw new LinuxException($"socket(AF_XDP) for {what}{(errno == Errno.EAFNOSUPPORT ? " (the kernel has no AF_XDP: CONFIG_XDP_SOCKETS)" : string.Empty)}", errno);
        }

        var xsk = new XskSocket(new SafeFileDescriptor(raw), umem, options.Layout);
        try
        {
            xsk.Setup(ifindex, queueId, options, what);
            return xsk;
        }
        catch
        {
            xsk.Dispose();
            throw;
        }
    }

    /// <summary>sendto(MSG_DONTWAIT): makes the kernel transmit (copy mode) or wakes the driver (zero-copy).</summary>
    public int Kick()
    {
        nint sent = sendto(Fd, null, 0, MSG_DONTWAIT, null, 0);
        return sent >= 0 ? 0 : Errno.Last;
    }

    /// <summary>recvfrom(MSG_DONTWAIT): wakes a zero-copy driver to take fill ring entries.</summary>
    public void WakeReceive() => _ = recvfrom(Fd, null, 0, MSG_DONTWAIT, null, null);

    /// <summary>XDP_STATISTICS; false when the socket is gone.</summary>
    public bool TryGetStatistics(out xdp_statistics statistics)
    {
        statistics = default;
        if (Volatile.Read(ref _disposed) != 0)
        {
            return false;
        }

        try
        {
            fixed (xdp_statistics* s = &statistics)
            {
                uint length = (uint)sizeof(xdp_statistics);
                return getsockopt(Fd, SOL_XDP, XDP_STATISTICS, s, &length) == 0;
            }
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Fd.Dispose();
        foreach (SafeMmapHandle map in _maps)
        {
            map.Dispose();
        }

        UmemMapping.Dispose();
    }

    private void Setup(int ifindex, uint queueId, XskSocketOptions options, string what)
    {
        UmemLayout layout = options.Layout;
        var registration = new xdp_umem_reg
        {
            addr = (ulong)UmemMapping.Pointer,
            len = (ulong)layout.Bytes,
            chunk_size = (uint)layout.FrameSize,
            headroom = (uint)layout.Headroom,
            flags = 0,
            tx_metadata_len = 0,
        };
        SetOption(XDP_UMEM_REG, &registration, (uint)sizeof(xdp_umem_reg), $"registering the UMEM of {what} ({layout.TotalFrames} frames of {layout.FrameSize} bytes)");
        SetRingSize(XDP_UMEM_FILL_RING, options.FillRingSize, "fill", what);
        SetRingSize(XDP_UMEM_COMPLETION_RING, options.CompletionRingSize, "completion", what);
        SetRingSize(XDP_RX_RING, options.RxRingSize, "RX", what);
        SetRingSize(XDP_TX_RING, options.TxRingSize, "TX", what);

        xdp_mmap_offsets offsets;
        uint length = (uint)sizeof(xdp_mmap_offsets);
        if (getsockopt(Fd, SOL_XDP, XDP_MMAP_OFFSETS, &offsets, &length) != 0)
        {
            throw LinuxException.FromErrno(Errno.Last, $"XDP_MMAP_OFFSETS of {what}");
        }

        if (length < sizeof(xdp_mmap_offsets))
        {
            throw new LinuxException($"XDP_MMAP_OFFSETS of {what} returned {length} bytes, without ring flags (the kernel is older than 5.4)");
        }

        Fill = new XskRing(Map(offsets.fr, options.FillRingSize, sizeof(ulong), XDP_UMEM_PGOFF_FILL_RING, $"the fill ring of {what}"), offsets.fr, options.FillRingSize);
        Completion = new XskRing(Map(offsets.cr, options.CompletionRingSize, sizeof(ulong), XDP_UMEM_PGOFF_COMPLETION_RING, $"the completion ring of {what}"), offsets.cr, options.CompletionRingSize);
        Rx = new XskRing(Map(offsets.rx, options.RxRingSize, sizeof(xdp_desc), XDP_PGOFF_RX_RING, $"the RX ring of {what}"), offsets.rx, options.RxRingSize);
        Tx = new XskRing(Map(offsets.tx, options.TxRingSize, sizeof(xdp_desc), XDP_PGOFF_TX_RING, $"the TX ring of {what}"), offsets.tx, options.TxRingSize);

        ushort mode = options.BindMode switch
        {
            XskBindMode.Copy => XDP_COPY,
            XskBindMode.ZeroCopy => XDP_ZEROCOPY,
            _ => 0,
        };
        int errno = Bind(ifindex, queueId, (ushort)(mode | (options.NeedWakeup ? XDP_USE_NEED_WAKEUP : 0)));
        NeedWakeup = options.NeedWakeup;
        if (errno == Errno.EINVAL && options.NeedWakeup)
        {
            // Kernels before 5.4 do not know XDP_USE_NEED_WAKEUP.
            errno = Bind(ifindex, queueId, mode);
            NeedWakeup = false;
        }

        if (errno != 0)
        {
            string hint = errno switch
            {
                Errno.EBUSY => " (another AF_XDP socket is bound to this queue)",
                Errno.EOPNOTSUPP => " (the driver does not support zero-copy AF_XDP: use BindMode Copy or Auto)",
                Errno.EINVAL => " (no such queue on the device?)",
                Errno.ENODEV => " (no such device in this namespace)",
                _ => string.Empty,
            };
            throw new LinuxException($"binding the AF_XDP socket to {what} ({options.BindMode}){hint}", errno);
        }

        // One kick sends up to the whole TX ring instead of 32 frames (copy mode): a burst is one sendto, not one per
        // 32 frames with EAGAIN between. Older kernels do not know the option; they keep 32.
        uint budget = options.TxRingSize;
        if (budget > TX_BATCH_SIZE && setsockopt(Fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &budget, sizeof(uint)) == 0)
        {
            TxBudget = (int)budget;
        }

        xdp_options xdpOptions;
        length = (uint)sizeof(xdp_options);
        ZeroCopy = getsockopt(Fd, SOL_XDP, XDP_OPTIONS, &xdpOptions, &length) == 0 && (xdpOptions.flags & XDP_OPTIONS_ZEROCOPY) != 0;
    }

    private int Bind(int ifindex, uint queueId, ushort flags)
    {
        var address = new sockaddr_xdp
        {
            sxdp_family = AF_XDP,
            sxdp_flags = flags,
            sxdp_ifindex = (uint)ifindex,
            sxdp_queue_id = queueId,
        };
        return bind(Fd, &address, (uint)sizeof(sockaddr_xdp)) == 0 ? 0 : Errno.Last;
    }

    private void SetRingSize(int option, uint entries, string ring, string what)
    {
        uint value = entries;
        SetOption(option, &value, sizeof(uint), $"sizing the {ring} ring of {what} to {entries} entries");
    }

    private void SetOption(int option, void* value, uint length, string operation)
    {
        if (setsockopt(Fd, SOL_XDP, option, value, length) != 0)
        {
            throw LinuxException.FromLast(operation);
        }
    }

    private byte* Map(in xdp_ring_offset offsets, uint entries, int entrySize, long pageOffset, string what)
    {
        SafeMmapHandle map = SafeMmapHandle.Shared(Fd, XskRing.MapLength(offsets.desc, entries, entrySize), pageOffset, what);
        _maps.Add(map);
        return map.Pointer;
    }
}
