using System.Runtime.InteropServices;

namespace RouterHost.Abstractions;

/// <summary>
/// An optional capability of an <see cref="IContainer"/>: it adopts an already opened device file descriptor (another
/// multi-queue TUN fd, an XDP socket) as a new queue. Backends that have it list
/// <see cref="BackendCapabilities.AdoptFileDescriptor"/>.
/// </summary>
public interface IFileDescriptorAdopter
{
    /// <summary>
    /// Adopts <paramref name="fd"/> as a new queue of the container, which takes ownership of it (it is released with
    /// the container). Throws with a clear message (and errno) when the descriptor is not a queue of this device.
    /// </summary>
    IQueue Adopt(SafeHandle fd);
}
