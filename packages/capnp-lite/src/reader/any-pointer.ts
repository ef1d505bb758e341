/**
 * An AnyPointer field: a pointer whose type the schema leaves open. The reader decides what to read it
 * as; each accessor applies the same checks as a typed field.
 */
import type { Arena } from '../arena';
import { PointerKind } from '../arena';
import type { ElementSize } from '../element-size';
import { type ListFactory, locateList, nestingError } from './list-reader';
import {
  type StructReader,
  type StructReaderClass,
  emptyStruct,
  readCapabilityAt,
  readDataAt,
  readStructAt,
  readTextAt,
} from './struct-reader';
import type { Segment } from '../segment';

export class AnyPointerReader {
  constructor(
    readonly arena: Arena,
    readonly segment: Segment,
    /** Word index of the pointer; -1 for a pointer past the end of an older struct (reads as null). */
    readonly word: number,
    readonly nesting: number,
  ) {}

  isNull(): boolean {
    if (this.word < 0) return true;
    const view = this.segment.view;
    return view.getUint32(this.word * 8, true) === 0 && view.getUint32(this.word * 8 + 4, true) === 0;
  }

  /** 'struct', 'list', 'capability' or 'null' (far pointers are followed to what they lead to). */
  kind(): 'null' | 'struct' | 'list' | 'capability' {
    if (this.isNull()) return 'null';
    const lo = this.segment.view.getUint32(this.word * 8, true);
    if ((lo & 3) === PointerKind.OTHER) return 'capability';
    if (!this.arena.follow(this.segment, this.word)) return 'null';
    const kind = this.arena.target.lo & 3;
    return kind === PointerKind.STRUCT ? 'struct' : kind === PointerKind.LIST ? 'list' : 'capability';
  }

  getStruct<T extends StructReader>(type: StructReaderClass<T>): T {
    if (this.isNull()) return emptyStruct(this.arena, type);
    if (this.nesting <= 0) throw nestingError();
    return (
      readStructAt(this.arena, this.segment, this.word, this.nesting - 1, type) ??
      emptyStruct(this.arena, type)
    );
  }

  getList<L>(expected: ElementSize, factory: ListFactory<L>): L {
    if (this.isNull()) return factory(this.arena, null, 0);
    if (this.nesting <= 0) throw nestingError();
    return factory(this.arena, locateList(this.arena, this.segment, this.word, expected), this.nesting - 1);
  }

  getText(defaultValue = ''): string {
    return this.word < 0 ? defaultValue : readTextAt(this.arena, this.segment, this.word, defaultValue);
  }

  getData(defaultValue: Uint8Array = new Uint8Array(0)): Uint8Array {
    return this.word < 0 ? defaultValue : readDataAt(this.arena, this.segment, this.word, defaultValue);
  }

  getCapability(): unknown {
    return this.word < 0 ? null : readCapabilityAt(this.arena, this.segment, this.word);
  }
}
