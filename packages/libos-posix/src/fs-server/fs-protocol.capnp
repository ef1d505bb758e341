# The file-system server's protocol: what a library OS asks the server that holds the disk, one request
# message and one response message per exchange.
#
# Files are named by handles (inode number and generation), not by open-file state on the server, so a
# server that restarts answers the same handles: every request can be sent again after a restart. A
# request the server handled before it died may be seen twice; the client decides what a repeated
# namespace change means (an unlink that now finds nothing was done the first time).
#
# Bulk data does not travel in the message: a read's bytes are put in the client's data window (frames
# the client granted the server when it connected) and a write's are taken from it, `bulk` bytes from its
# start. Small amounts may travel inline (`data`).
@0x999b53ceb2d70b1f;

struct Handle {
  ino @0 :UInt32;
  generation @1 :UInt32;
}

struct Attributes {
  handle @0 :Handle;
  mode @1 :UInt32;
  links @2 :UInt32;
  uid @3 :UInt32;
  gid @4 :UInt32;
  size @5 :UInt64;
  blocks @6 :UInt64;
  atime @7 :UInt32;
  mtime @8 :UInt32;
  ctime @9 :UInt32;
  rdev @10 :UInt32;
}

struct DirEntry {
  name @0 :Text;
  ino @1 :UInt32;
  type @2 :UInt8;
}

struct StatFs {
  blockSize @0 :UInt32;
  blocks @1 :UInt64;
  freeBlocks @2 :UInt64;
  availableBlocks @3 :UInt64;
  inodes @4 :UInt64;
  freeInodes @5 :UInt64;
  nameMax @6 :UInt32;
  readOnly @7 :Bool;
}

struct Request {
  # Chosen by the client; the response carries it back.
  id @0 :UInt64;
  # The object the request is about: a file, or the directory of a name.
  handle @1 :Handle;
  union {
    root @2 :Void;
    getattr @3 :Void;
    lookup @4 :Text;
    readdir @5 :Void;
    read :group {
      offset @6 :UInt64;
      length @7 :UInt32;
    }
    write :group {
      offset @8 :UInt64;
      data @9 :Data;
      # Bytes to take from the start of the data window (when `data` is empty).
      bulk @10 :UInt32;
    }
    truncate @11 :UInt64;
    create :group {
      name @12 :Text;
      mode @13 :UInt32;
      uid @14 :UInt32;
      gid @15 :UInt32;
      rdev @16 :UInt32;
      # O_EXCL: refuse (EEXIST) when the name exists; otherwise an existing file is the answer.
      exclusive @17 :Bool;
    }
    mkdir :group {
      name @18 :Text;
      mode @19 :UInt32;
      uid @20 :UInt32;
      gid @21 :UInt32;
    }
    symlink :group {
      name @22 :Text;
      target @23 :Text;
      uid @24 :UInt32;
      gid @25 :UInt32;
    }
    readlink @26 :Void;
    link :group {
      # A new name in the directory `handle` for the file `file`.
      name @27 :Text;
      file @28 :Handle;
    }
    unlink @29 :Text;
    rmdir @30 :Text;
    rename :group {
      from @31 :Text;
      toDirectory @32 :Handle;
      to @33 :Text;
    }
    setattr :group {
      # Which of the fields below to set: 1 mode, 2 uid, 4 gid, 8 atime, 16 mtime.
      mask @34 :UInt32;
      mode @35 :UInt32;
      uid @36 :UInt32;
      gid @37 :UInt32;
      atime @38 :UInt32;
      mtime @39 :UInt32;
    }
    fsync @40 :Void;
    sync @41 :Void;
    statfs @42 :Void;
  }
}

struct Failure {
  # The Linux errno the system call reports.
  errno @0 :UInt32;
  # The server's reason code (ENOENT, CORRUPT, READ_ONLY, STALE...) and a message for logs.
  code @1 :Text;
  message @2 :Text;
}

struct Response {
  id @0 :UInt64;
  # Set when the request was refused; nothing else is then.
  error @1 :Failure;
  # The object the request was about or made (after the change).
  attributes @2 :Attributes;
  union {
    none @3 :Void;
    entries @4 :List(DirEntry);
    # A read's bytes inline, or `bulk` bytes placed at the start of the data window.
    data @5 :Data;
    bulk @6 :UInt32;
    # Bytes a write wrote.
    count @7 :UInt64;
    target @8 :Text;
    statfs @9 :StatFs;
  }
}
