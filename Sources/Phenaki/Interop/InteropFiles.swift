import GraphRuntime

/// `.npy` reading and writing for the interop commands.
public enum InteropFiles {
    /// Reads the `.npy` file at `path` given with `option` (`--input`, `--text-embeds`):
    /// float16/32/64 arrive as float32, integer arrays (int64 ids included) as int32.
    public static func read(_ path: String, option: String = "--input") throws -> HostTensor {
        try requireFile(path, option: option)
        return try NumPyArray.read(path: path)
    }

    /// Writes `tensor` as `.npy` (`<f4` or `<i4`) atomically: a temporary file beside `path` is
    /// renamed over it, so a failure never leaves a partial output.
    public static func write(_ tensor: HostTensor, to path: String) throws {
        try NumPyArray.write(tensor, path: path)
    }
}
