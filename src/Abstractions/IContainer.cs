using System.Runtime.InteropServices;

namespace RouterHost.Abstractions;

/// <summary>
/// A backend's device as one router interface: it owns the device's queues and shuts them down in order.
/// <para>
/// Shutdown is two-step so no thread is ever left inside a released device: <see cref="Close"/> wakes every
/// reader (each <see cref="IQueue.Read"/> returns false), the host joins its threads, then
/// <see cref="IDisposable.Dispose"/> releases queues (in order) and whatever the backend configured.
/// </para>
/// </summary>
public interface IContainer : IDisposable
{
    /// <summary>The interface name from configuration.</summary>
    string Name { get; }

    /// <summary>The queues, indexed by <see cref="IQueue.Index"/>.</summary>
    IReadOnlyList<IQueue> Queues { get; }

    /// <summary>
    /// Adopts an already opened device file descriptor (e.g. another multi-queue TUN fd) as a new queue. The
    /// container takes ownership of <paramref name="fd"/>. Backends without
    /// <see cref="BackendCapabilities.AdoptFileDescriptor"/> throw <see cref="NotSupportedException"/>.
    /// </summary>
    IQueue Add(SafeHandle fd);

    /// <summary>Closes every queue for reading (see <see cref="IQueue.Close"/>). Idempotent.</summary>
    void Close();
}
