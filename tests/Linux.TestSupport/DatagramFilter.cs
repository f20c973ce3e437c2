namespace RouterHost.Linux.TestSupport;

/// <summary>Whether an <see cref="ImpairmentRelay"/> may impair <paramref name="datagram"/>; the rest pass untouched.</summary>
public delegate bool DatagramFilter(ReadOnlySpan<byte> datagram);
