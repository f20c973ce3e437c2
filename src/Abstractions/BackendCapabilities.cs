namespace RouterHost.Abstractions;

/// <summary>What a backend can do.</summary>
[Flags]
public enum BackendCapabilities
{
    /// <summary>A plain packet device.</summary>
    None = 0,

    /// <summary>Reads and writes superpackets (TSO/USO in, <see cref="IQueue.WriteGso"/> out).</summary>
    Gso = 1 << 0,

    /// <summary>Has more than one queue, each served by its own thread.</summary>
    MultiQueue = 1 << 1,

    /// <summary>Adopts an existing file descriptor as a new queue (<see cref="IContainer.Add"/>).</summary>
    AdoptFileDescriptor = 1 << 2,

    /// <summary>Hands out packets in memory shared with the kernel or device, without copying.</summary>
    ZeroCopy = 1 << 3,
}
