namespace RouterHost.Plugins.AfXdp;

/// <summary>How the AF_XDP sockets are bound (the <c>BindMode</c> setting).</summary>
internal enum XskBindMode
{
    /// <summary>Zero-copy when the driver supports it, copy mode otherwise (no flag: the kernel decides).</summary>
    Auto,

    /// <summary>Copy mode (XDP_COPY): the kernel copies frames between its buffers and the UMEM.</summary>
    Copy,

    /// <summary>Zero-copy (XDP_ZEROCOPY): the NIC DMAs into the UMEM; binding fails when the driver cannot.</summary>
    ZeroCopy,
}
