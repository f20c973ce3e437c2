namespace RouterHost.Tests.Support;

internal static class Bytes
{
    /// <summary>A recognisable test packet: a tag byte, then the sequence number, then filler.</summary>
    public static byte[] Packet(byte tag, int sequence, int length = 100)
    {
        var p = new byte[length];
        p[0] = tag;
        BitConverter.TryWriteBytes(p.AsSpan(2), sequence);
        for (int i = 6; i < p.Length; i++)
        {
            p[i] = (byte)(sequence + i);
        }

        return p;
    }
}
