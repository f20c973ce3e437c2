namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>How one AF_XDP socket is made: its UMEM layout, ring sizes and bind flags.</summary>
internal sealed record XskSocketOptions(
    UmemLayout Layout,
    uint FillRingSize,
    uint CompletionRingSize,
    uint RxRingSize,
    uint TxRingSize,
    XskBindMode BindMode,
    bool NeedWakeup);
