/* SPDX-License-Identifier: MIT */
/* The heaprr source component class for babeltrace2 (source.h). */
#include "source.h"

#include <heaprr/reader.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STACK 256

/* The payload members, in order. */
enum { F_THREAD, F_TID, F_SEQ, F_PTR, F_OLD_PTR, F_SIZE, F_COUNT, F_ALIGN, F_FAILED, F_ERRNO, F_DEPTH, F_STACK };

typedef struct src {
    char *path;
    bt_self_component *self;
    bt_trace_class *tc;
    bt_stream_class *sc;
    bt_clock_class *cc;
    bt_event_class *ec[HR_KIND_COUNT];
} src;

typedef struct iter {
    src *s;
    hr_reader *r;
    bt_trace *trace;
    bt_stream *stream;
    int state; /* 0: beginning to send, 1: events, 2: end to send, 3: done */
} iter;

static int is_trace(const char *path)
{
    char magic[HR_MAGIC_LEN];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(magic, 1, sizeof magic, f);
    fclose(f);
    return n == HR_MAGIC_LEN && memcmp(magic, HR_MAGIC, HR_MAGIC_LEN) == 0;
}

bt_component_class_query_method_status hr_ctf_src_query(bt_self_component_class_source *cls,
                                                        bt_private_query_executor *exec, const char *object,
                                                        const bt_value *params, void *data, const bt_value **result)
{
    (void)cls;
    (void)exec;
    (void)data;
    if (strcmp(object, "babeltrace.support-info") != 0)
        return BT_COMPONENT_CLASS_QUERY_METHOD_STATUS_UNKNOWN_OBJECT;
    const bt_value *type = bt_value_map_borrow_entry_value_const(params, "type");
    const bt_value *input = bt_value_map_borrow_entry_value_const(params, "input");
    double weight = 0;
    if (type && input && bt_value_is_string(type) && bt_value_is_string(input) &&
        strcmp(bt_value_string_get(type), "file") == 0 && is_trace(bt_value_string_get(input)))
        weight = 1.0;
    *result = bt_value_real_create_init(weight);
    return *result ? BT_COMPONENT_CLASS_QUERY_METHOD_STATUS_OK : BT_COMPONENT_CLASS_QUERY_METHOD_STATUS_MEMORY_ERROR;
}

/* "inputs": [PATH] (what the babeltrace2 CLI passes) or "path": PATH. */
static const char *path_param(const bt_value *params)
{
    const bt_value *v = params ? bt_value_map_borrow_entry_value_const(params, "inputs") : NULL;
    if (v && bt_value_is_array(v) && bt_value_array_get_length(v) == 1) {
        const bt_value *e = bt_value_array_borrow_element_by_index_const(v, 0);
        return bt_value_is_string(e) ? bt_value_string_get(e) : NULL;
    }
    v = params ? bt_value_map_borrow_entry_value_const(params, "path") : NULL;
    return v && bt_value_is_string(v) ? bt_value_string_get(v) : NULL;
}

static bt_field_class *uint_fc(bt_trace_class *tc, int hex)
{
    bt_field_class *fc = bt_field_class_integer_unsigned_create(tc);
    if (fc && hex)
        bt_field_class_integer_set_preferred_display_base(fc, BT_FIELD_CLASS_INTEGER_PREFERRED_DISPLAY_BASE_HEXADECIMAL);
    return fc;
}

static int member(bt_field_class *st, const char *name, bt_field_class *fc)
{
    int ok = fc && bt_field_class_structure_append_member(st, name, fc) == BT_FIELD_CLASS_STRUCTURE_APPEND_MEMBER_STATUS_OK;
    bt_field_class_put_ref(fc);
    return ok ? 0 : -1;
}

/* The payload every event class shares. */
static bt_field_class *payload_fc(bt_trace_class *tc)
{
    bt_field_class *st = bt_field_class_structure_create(tc);
    if (!st)
        return NULL;
    static const struct {
        const char *name;
        int hex;
    } ints[] = {{"thread", 0}, {"tid", 0},   {"seq", 0},   {"ptr", 1},    {"old_ptr", 1},
                {"size", 0},   {"count", 0}, {"align", 0}, {"failed", 0}, {"errno", 0}};
    int rc = 0;
    for (size_t i = 0; i < sizeof ints / sizeof *ints && rc == 0; i++)
        rc = member(st, ints[i].name, uint_fc(tc, ints[i].hex));
    bt_field_class *depth = rc == 0 ? uint_fc(tc, 0) : NULL;
    if (rc == 0 && depth && bt_field_class_structure_append_member(st, "stack_depth", depth) != 0)
        rc = -1;
    bt_field_class *elem = rc == 0 ? uint_fc(tc, 1) : NULL;
    bt_field_class *arr = elem ? bt_field_class_array_dynamic_create(tc, elem, depth) : NULL;
    bt_field_class_put_ref(elem);
    bt_field_class_put_ref(depth);
    if (rc < 0 || member(st, "stack", arr) < 0) {
        bt_field_class_put_ref(st);
        return NULL;
    }
    return st;
}

static int make_classes(src *s, const hr_header *h)
{
    if (!(s->tc = bt_trace_class_create(s->self)) || !(s->sc = bt_stream_class_create(s->tc)) ||
        !(s->cc = bt_clock_class_create(s->self)))
        return -1;
    bt_clock_class_set_name(s->cc, "heaprr");
    bt_clock_class_set_frequency(s->cc, 1000000000ull);
    bt_clock_class_set_offset(s->cc, (int64_t)(h->start_realtime_ns / 1000000000ull),
                              h->start_realtime_ns % 1000000000ull);
    if (bt_stream_class_set_default_clock_class(s->sc, s->cc) != BT_STREAM_CLASS_SET_DEFAULT_CLOCK_CLASS_STATUS_OK)
        return -1;
    int rc = 0;
    for (unsigned k = 1; k < HR_KIND_COUNT && rc == 0; k++) {
        char name[64];
        snprintf(name, sizeof name, "heaprr:%s", hr_kind_name(k));
        bt_field_class *payload = payload_fc(s->tc); /* one each: the stack's length is resolved per class */
        if (!payload || !(s->ec[k] = bt_event_class_create(s->sc)) || bt_event_class_set_name(s->ec[k], name) != 0 ||
            bt_event_class_set_payload_field_class(s->ec[k], payload) != 0)
            rc = -1;
        bt_field_class_put_ref(payload);
    }
    return rc;
}

static void free_src(src *s)
{
    for (unsigned k = 0; k < HR_KIND_COUNT; k++)
        bt_event_class_put_ref(s->ec[k]);
    bt_clock_class_put_ref(s->cc);
    bt_stream_class_put_ref(s->sc);
    bt_trace_class_put_ref(s->tc);
    free(s->path);
    free(s);
}

bt_component_class_initialize_method_status hr_ctf_src_init(bt_self_component_source *self,
                                                            bt_self_component_source_configuration *config,
                                                            const bt_value *params, void *init_data)
{
    (void)config;
    (void)init_data;
    bt_self_component *comp = bt_self_component_source_as_self_component(self);
    const char *path = path_param(params);
    if (!path) {
        BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(comp, "expected one heaprr trace in 'inputs'");
        return BT_COMPONENT_CLASS_INITIALIZE_METHOD_STATUS_ERROR;
    }
    hr_reader *r;
    if (hr_reader_open(&r, path, 0) < 0) {
        BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(comp, "%s", r ? hr_reader_message(r) : "out of memory");
        hr_reader_close(r);
        return BT_COMPONENT_CLASS_INITIALIZE_METHOD_STATUS_ERROR;
    }
    src *s = calloc(1, sizeof *s);
    int ok = s && (s->path = strdup(path)) != NULL;
    if (ok) {
        s->self = comp;
        ok = make_classes(s, hr_reader_header(r)) == 0 &&
             bt_self_component_source_add_output_port(self, "out", NULL, NULL) ==
                 BT_SELF_COMPONENT_ADD_PORT_STATUS_OK;
    }
    hr_reader_close(r);
    if (!ok) {
        if (s)
            free_src(s);
        return BT_COMPONENT_CLASS_INITIALIZE_METHOD_STATUS_MEMORY_ERROR;
    }
    bt_self_component_set_data(comp, s);
    return BT_COMPONENT_CLASS_INITIALIZE_METHOD_STATUS_OK;
}

void hr_ctf_src_fini(bt_self_component_source *self)
{
    src *s = bt_self_component_get_data(bt_self_component_source_as_self_component(self));
    if (s)
        free_src(s);
}

bt_message_iterator_class_initialize_method_status hr_ctf_iter_init(bt_self_message_iterator *self,
                                                                    bt_self_message_iterator_configuration *config,
                                                                    bt_self_component_port_output *port)
{
    (void)config;
    (void)port;
    src *s = bt_self_component_get_data(bt_self_message_iterator_borrow_component(self));
    iter *it = calloc(1, sizeof *it);
    if (!it)
        return BT_MESSAGE_ITERATOR_CLASS_INITIALIZE_METHOD_STATUS_MEMORY_ERROR;
    it->s = s;
    if (hr_reader_open(&it->r, s->path, 0) < 0 || !(it->trace = bt_trace_create(s->tc)) ||
        !(it->stream = bt_stream_create(s->sc, it->trace))) {
        BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_MESSAGE_ITERATOR(
            self, "%s", it->r ? hr_reader_message(it->r) : "out of memory");
        hr_ctf_iter_fini(self);
        hr_reader_close(it->r);
        bt_stream_put_ref(it->stream);
        bt_trace_put_ref(it->trace);
        free(it);
        return BT_MESSAGE_ITERATOR_CLASS_INITIALIZE_METHOD_STATUS_ERROR;
    }
    const char *base = strrchr(s->path, '/');
    bt_trace_set_name(it->trace, base ? base + 1 : s->path); /* sink.ctf.fs names its folder after it */
    bt_self_message_iterator_set_data(self, it);
    return BT_MESSAGE_ITERATOR_CLASS_INITIALIZE_METHOD_STATUS_OK;
}

void hr_ctf_iter_fini(bt_self_message_iterator *self)
{
    iter *it = bt_self_message_iterator_get_data(self);
    if (!it)
        return;
    hr_reader_close(it->r);
    bt_stream_put_ref(it->stream);
    bt_trace_put_ref(it->trace);
    free(it);
    bt_self_message_iterator_set_data(self, NULL);
}

static void set_uint(bt_field *payload, uint64_t index, uint64_t v)
{
    bt_field_integer_unsigned_set_value(bt_field_structure_borrow_member_field_by_index(payload, index), v);
}

/* The event message of one record; NULL without memory. */
static const bt_message *event_msg(bt_self_message_iterator *self, iter *it, const hr_record *rec)
{
    const hr_event *ev = &rec->u.event;
    bt_message *m = bt_message_event_create_with_default_clock_snapshot(self, it->s->ec[ev->kind], it->stream,
                                                                        rec->time_ns);
    if (!m)
        return NULL;
    bt_field *p = bt_event_borrow_payload_field(bt_message_event_borrow_event(m));
    uint32_t tid = 0;
    hr_str name;
    hr_reader_thread(it->r, rec->thread, &tid, &name);
    set_uint(p, F_THREAD, rec->thread);
    set_uint(p, F_TID, tid);
    set_uint(p, F_SEQ, rec->seq);
    set_uint(p, F_PTR, ev->ptr);
    set_uint(p, F_OLD_PTR, ev->old_ptr);
    set_uint(p, F_SIZE, ev->size);
    set_uint(p, F_COUNT, ev->count);
    set_uint(p, F_ALIGN, ev->align);
    set_uint(p, F_FAILED, (ev->xflags & HR_XF_FAILED) != 0);
    set_uint(p, F_ERRNO, ev->err);
    uint64_t ips[MAX_STACK];
    size_t depth = ev->stack ? hr_reader_stack(it->r, ev->stack, ips, MAX_STACK) : 0;
    set_uint(p, F_DEPTH, depth);
    bt_field *stack = bt_field_structure_borrow_member_field_by_index(p, F_STACK);
    if (bt_field_array_dynamic_set_length(stack, depth) != BT_FIELD_DYNAMIC_ARRAY_SET_LENGTH_STATUS_OK) {
        bt_message_put_ref(m);
        return NULL;
    }
    for (size_t i = 0; i < depth; i++)
        bt_field_integer_unsigned_set_value(bt_field_array_borrow_element_field_by_index(stack, i), ips[i]);
    return m;
}

bt_message_iterator_class_next_method_status hr_ctf_iter_next(bt_self_message_iterator *self,
                                                              bt_message_array_const msgs, uint64_t capacity,
                                                              uint64_t *count)
{
    iter *it = bt_self_message_iterator_get_data(self);
    uint64_t n = 0;
    while (n < capacity && it->state != 3) {
        const bt_message *m = NULL;
        if (it->state == 0) {
            m = bt_message_stream_beginning_create(self, it->stream);
            it->state = 1;
        } else if (it->state == 2) {
            m = bt_message_stream_end_create(self, it->stream);
            it->state = 3;
        } else {
            hr_record rec;
            int rc = hr_reader_next(it->r, &rec);
            if (rc < 0) {
                BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_MESSAGE_ITERATOR(self, "%s", hr_reader_message(it->r));
                return BT_MESSAGE_ITERATOR_CLASS_NEXT_METHOD_STATUS_ERROR;
            }
            if (rc == 0) {
                it->state = 2;
                continue;
            }
            if (rec.type != HR_REC_EVENT)
                continue;
            m = event_msg(self, it, &rec);
        }
        if (!m)
            return BT_MESSAGE_ITERATOR_CLASS_NEXT_METHOD_STATUS_MEMORY_ERROR;
        msgs[n++] = m;
    }
    *count = n;
    if (n == 0 && it->state == 3)
        return BT_MESSAGE_ITERATOR_CLASS_NEXT_METHOD_STATUS_END;
    return BT_MESSAGE_ITERATOR_CLASS_NEXT_METHOD_STATUS_OK;
}
