namespace RouterHost.Abstractions;

/// <summary>
/// What a backend can do, as <c>routerhost plugins</c> lists it before any container exists. The host relies on the
/// optional interfaces instead (<see cref="IGsoWriter"/> on a queue, <see cref="IFileDescriptorAdopter"/> on a
/// container): the flags are what a listing shows, and a backend keeps them consistent with what it implements.
/// </summary>
[Flags]
public enum BackendCapabilities
{
    /// <summary>A plain packet device.</summary>
    None = 0,

    /// <summary>Reads and writes superpackets (TSO/USO in; its queues are <see cref="IGsoWriter"/>s).</summary>
    Gso = 1 << 0,

    /// <summary>Has more than one queue, each served by its own thread.</summary>
    MultiQueue = 1 << 1,

    /// <summary>Adopts an existing file descriptor as a new queue (its containers are <see cref="IFileDescriptorAdopter"/>s).</summary>
    AdoptFileDescriptor = 1 << 2,

    /// <summary>Hands out packets in memory shared with the kernel or device, without copying.</summary>
    ZeroCopy = 1 << 3,
}
