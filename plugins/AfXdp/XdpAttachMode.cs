namespace RouterHost.Plugins.AfXdp;

/// <summary>How the XDP program is attached to the device (the <c>XdpMode</c> setting).</summary>
internal enum XdpAttachMode
{
    /// <summary>Native (driver) mode, falling back to generic mode when the driver has no XDP support.</summary>
    Auto,

    /// <summary>Native (driver) mode only (XDP_FLAGS_DRV_MODE).</summary>
    Native,

    /// <summary>Generic (SKB) mode only (XDP_FLAGS_SKB_MODE): works on any device, after the kernel built an skb.</summary>
    Generic,
}
