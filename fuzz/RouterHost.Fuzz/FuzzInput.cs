using System.Buffers.Binary;

namespace RouterHost.Fuzz;

/// <summary>
/// Reads a fuzz input as a sequence of records, so one input can carry several packets or messages: each record is a
/// control byte, a big-endian 16-bit length and that many bytes (fewer when the input ends first). A target decides
/// what the control byte means. Reading never fails: whatever is left over is the last record.
/// </summary>
internal ref struct FuzzInput(ReadOnlySpan<byte> input)
{
    private ReadOnlySpan<byte> _rest = input;

    /// <summary>Whether nothing is left.</summary>
    public readonly bool IsEmpty => _rest.IsEmpty;

    /// <summary>Takes the next record; false when the input is used up.</summary>
    public bool TryNext(out byte control, out ReadOnlySpan<byte> bytes)
    {
        if (_rest.IsEmpty)
        {
            control = 0;
            bytes = default;
            return false;
        }

        control = _rest[0];
        if (_rest.Length < 3)
        {
            bytes = _rest[1..];
            _rest = default;
            return true;
        }

        int length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(_rest[1..]), _rest.Length - 3);
        bytes = _rest.Slice(3, length);
        _rest = _rest[(3 + length)..];
        return true;
    }

    /// <summary>
    /// Splits an input into its first byte (a target's options) and the rest; an empty input gives 0 and nothing.
    /// Targets never return early on an empty input: SharpFuzz's first run may see one (it reads the first input before
    /// afl-fuzz has written it), and a run that reaches no instrumented code makes afl-fuzz stop with "No
    /// instrumentation detected".
    /// </summary>
    public static void Split(ReadOnlySpan<byte> input, out byte first, out ReadOnlySpan<byte> rest)
    {
        first = input.IsEmpty ? (byte)0 : input[0];
        rest = input.IsEmpty ? default : input[1..];
    }

    /// <summary>Builds an input of records (for seeds).</summary>
    public static byte[] Records(params (byte Control, byte[] Bytes)[] records)
    {
        var output = new List<byte>();
        foreach ((byte control, byte[] bytes) in records)
        {
            output.Add(control);
            output.Add((byte)(bytes.Length >> 8));
            output.Add((byte)bytes.Length);
            output.AddRange(bytes);
        }

        return [.. output];
    }
}
