using System.Text;
using System.Text.Json;
using RouterHost.Hosting;

namespace RouterHost.Tests.Hosting;

/// <summary>How <c>routerhost show --json</c> writes text: as it is, and always valid JSON.</summary>
public sealed class StatusDocumentTextTests
{
    [Theory]
    [InlineData("config+uapi", "\"config+uapi\"")]
    [InlineData("10.0.0.0/8 <lan> & 'wan'", "\"10.0.0.0/8 <lan> & 'wan'\"")]
    [InlineData("a \"quoted\" \\ name", "\"a \\\"quoted\\\" \\\\ name\"")]
    [InlineData("line\nbreak\u0001", "\"line\\nbreak\\u0001\"")]
    public void Text_is_written_as_it_is_with_only_what_JSON_requires_escaped(string value, string expected)
    {
        using var stream = new MemoryStream();
        using (Utf8JsonWriter writer = StatusDocument.CreateWriter(stream, indented: false))
        {
            writer.WriteStringValue(value);
        }

        string json = Encoding.UTF8.GetString(stream.ToArray());
        Assert.Equal(expected, json);
        Assert.Equal(value, JsonDocument.Parse(json).RootElement.GetString());
    }
}
