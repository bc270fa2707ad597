// SPDX-License-Identifier: GPL-2.0
/*
 * toymap - memory objects to watch virtual memory at work
 *
 * /dev/toymap0 .. /dev/toymapN-1 are memory objects in the sense of CS:APP
 * chapter 9: mmap() one MAP_SHARED and every process shares its frames, map it
 * MAP_PRIVATE and writes are copied on write.  Pages are demand-zero, or come
 * from a section of a file attached to the object.  This file holds the
 * devices, the module's parameters (max_pages lives with the page store that
 * spends it), the ioctls, the module's init and exit, and the pseudo
 * filesystem whose inodes carry each object's page cache; toymap_vm.c holds
 * the page store, mmap and the fault path, toymap_backing.c the backing
 * file, write-back and the swap file, toymap_evict.c eviction and discard.
 */

#include <linux/ctype.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "toymap.h"
#include "toymap_internal.h"

#define TOYMAP_MAX_DEVICES	64
#define TOYMAP_MAX_SIZE		BIT_ULL(40)	/* 1 TiB: objects are sparse */
#define TOYMAP_FS_MAGIC		0x746f796d	/* "toym" */

static unsigned int toymap_devices = 2;
module_param_named(devices, toymap_devices, uint, 0444);
MODULE_PARM_DESC(devices, "number of objects /dev/toymapN (1..64, default 2)");

static unsigned long long toymap_size = 64ULL << 20;

/*
 * size=64M, 1G, 4096: a number with memparse()'s K/M/G/T suffixes, range
 * checked at load.  Not memparse() itself: it wraps around silently
 * (16777217T would be 1T).
 */
static int toymap_size_set(const char *val, const struct kernel_param *kp)
{
	static const char suffixes[] = "KMGT";
	size_t len = strcspn(val, "\n");
	unsigned long long size;
	unsigned int shift = 0;
	const char *suffix;
	char buf[32];

	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, val, len);
	buf[len] = '\0';
	suffix = strchr(suffixes, toupper(buf[len - 1]));
	if (suffix) {
		shift = 10 * (suffix - suffixes + 1);
		buf[len - 1] = '\0';
	}
	if (kstrtoull(buf, 0, &size) || size > ULLONG_MAX >> shift)
		return -EINVAL;
	*(unsigned long long *)kp->arg = size << shift;
	return 0;
}

static const struct kernel_param_ops toymap_size_ops = {
	.set = toymap_size_set,
	.get = param_get_ullong,
};

module_param_cb(size, &toymap_size_ops, &toymap_size, 0444);
MODULE_PARM_DESC(size, "bytes per object, page aligned, up to 1T; K/M/G/T suffixes (default 64M)");

static ushort toymap_mode = 0600;
module_param_named(mode, toymap_mode, ushort, 0444);
MODULE_PARM_DESC(mode, "permissions of /dev/toymapN (default 0600; 0666 for a lab)");

bool toymap_trace;
DEFINE_STATIC_KEY_FALSE(toymap_trace_key);

static void toymap_trace_sync(void)
{
	if (READ_ONCE(toymap_trace))
		static_branch_enable(&toymap_trace_key);
	else
		static_branch_disable(&toymap_trace_key);
}

/*
 * trace= sets the bool and, once the module is live, the static key that
 * toymap_tracing() tests; toymap_init() sets the key for the load's value.
 * Parameter writes are serialised by the kernel's param lock.
 */
static bool toymap_trace_live;

static int toymap_trace_set(const char *val, const struct kernel_param *kp)
{
	int err = param_set_bool(val, kp);

	if (!err && READ_ONCE(toymap_trace_live))
		toymap_trace_sync();
	return err;
}

static const struct kernel_param_ops toymap_trace_ops = {
	.set = toymap_trace_set,
	.get = param_get_bool,
};

module_param_cb(trace, &toymap_trace_ops, &toymap_trace, 0644);
MODULE_PARM_DESC(trace, "log every fault, fault-around, mkwrite and discard to the kernel log (default 0)");

bool toymap_fault_around = true;
module_param_named(fault_around, toymap_fault_around, bool, 0644);
MODULE_PARM_DESC(fault_around, "map resident neighbours on a read fault through filemap_map_pages (default 1)");

/* Module-wide state, set up in toymap_init() and torn down in toymap_exit(). */
static dev_t toymap_devt;
static struct toymap_object **toymap_objects;
static struct vfsmount *toymap_mnt;	/* the pseudo filesystem, pinned */
static int toymap_mnt_count;		/* pins of toymap_mnt */

/* Object @i, or NULL past the last; every object lives as long as the module. */
struct toymap_object *toymap_nth_object(unsigned int i)
{
	return i < toymap_devices ? toymap_objects[i] : NULL;
}

static int toymap_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, TOYMAP_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * No .owner: the mount pinned by simple_pin_fs() would hold the module and
 * make rmmod impossible.  Open files hold the module through toymap_fops.
 */
static struct file_system_type toymap_fs_type = {
	.name		 = "toymap",
	.init_fs_context = toymap_init_fs_context,
	.kill_sb	 = kill_anon_super,
};

static char *toymap_devnode(TOYMAP_DEVNODE_CONST struct device *dev, umode_t *mode)
{
	if (mode)
		*mode = toymap_mode;
	return NULL;
}

static struct class toymap_class = {
	.name		= "toymap",
	.devnode	= toymap_devnode,
};

static int toymap_open(struct inode *inode, struct file *file)
{
	struct toymap_object *obj = container_of(inode->i_cdev, struct toymap_object, cdev);

	file->private_data = obj;
	/* Every open of the object shares one page cache and one i_mmap tree. */
	file->f_mapping = obj->inode->i_mapping;
	atomic_inc(&obj->opens);
	return 0;
}

/* The last close (every mapping is gone too) writes dirty pages back. */
static int toymap_release(struct inode *inode, struct file *file)
{
	struct toymap_object *obj = file->private_data;
	int err;

	if (!atomic_dec_and_test(&obj->opens))
		return 0;
	err = toymap_sync(obj, 0, LLONG_MAX);
	if (err)
		pr_warn("toymap%u: write-back at the last close failed: %d\n", obj->index, err);
	return 0;
}

/* fsync() on the device, and msync(MS_SYNC) of a shared mapping. */
static int toymap_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	return toymap_sync(file->private_data, start, end);
}

/*
 * toymap_copy_arg - copy in an ioctl argument that starts with "__u32 size"
 *
 * openat2() rules: a size below @min_size (the first published layout) or
 * above a page is EINVAL; a smaller known size leaves the newer fields zero;
 * bytes past the struct we know must be zero (EINVAL otherwise).
 *
 * Return: the caller's size, or -errno.
 */
static int toymap_copy_arg(void *karg, size_t ksize, size_t min_size, const void __user *uarg)
{
	u32 usize;
	int err;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize < min_size || usize > PAGE_SIZE)
		return -EINVAL;
	err = copy_struct_from_user(karg, ksize, uarg, usize);
	if (err)
		return err == -E2BIG ? -EINVAL : err;
	return usize;
}

static long toymap_ioc_info(struct toymap_object *obj, void __user *uarg)
{
	u64 backing_offset, backing_length;
	u32 backing_flags = 0;
	struct toymap_info info;
	int usize;

	usize = toymap_copy_arg(&info, sizeof(info), TOYMAP_INFO_SIZE_VER0, uarg);
	if (usize < 0)
		return usize;

	/* A snapshot of the settings; they change under obj->lock. */
	if (mutex_lock_killable(&obj->lock))
		return -EINTR;
	if (obj->backing)
		backing_flags |= TOYMAP_BACKING_FILE;
	if (obj->backing && obj->readonly)
		backing_flags |= TOYMAP_BACKING_READONLY;
	if (obj->swap)
		backing_flags |= TOYMAP_BACKING_SWAP;
	backing_offset = obj->backing_offset;
	backing_length = obj->backing_length;
	mutex_unlock(&obj->lock);

	info = (struct toymap_info) {
		.size			= min_t(u32, usize, sizeof(info)),
		.index			= obj->index,
		.object_size		= i_size_read(obj->inode),
		.resident_pages		= READ_ONCE(obj->inode->i_mapping->nrpages),
		.faults			= toymap_stat(obj, TOYMAP_STAT_FAULTS),
		.zero_fills		= toymap_stat(obj, TOYMAP_STAT_ZERO_FILLS),
		.cow_faults		= toymap_stat(obj, TOYMAP_STAT_COW_FAULTS),
		.fault_around_calls	= toymap_stat(obj, TOYMAP_STAT_FAULT_AROUND_CALLS),
		.fault_around_hits	= toymap_stat(obj, TOYMAP_STAT_FAULT_AROUND_HITS),
		.page_mkwrites		= toymap_stat(obj, TOYMAP_STAT_PAGE_MKWRITES),
		.vma_opens		= toymap_stat(obj, TOYMAP_STAT_VMA_OPENS),
		.vma_closes		= toymap_stat(obj, TOYMAP_STAT_VMA_CLOSES),
		.sigbus_faults		= toymap_stat(obj, TOYMAP_STAT_SIGBUS_FAULTS),
		.discarded_pages	= toymap_stat(obj, TOYMAP_STAT_DISCARDED_PAGES),
		.module_pages		= toymap_pages_held(),
		.max_pages		= toymap_page_limit(),
		.backing_flags		= backing_flags,
		.backing_offset		= backing_offset,
		.backing_length		= backing_length,
		.file_reads		= toymap_stat(obj, TOYMAP_STAT_FILE_READS),
		.write_backs		= toymap_stat(obj, TOYMAP_STAT_WRITE_BACKS),
		.swap_outs		= toymap_stat(obj, TOYMAP_STAT_SWAP_OUTS),
		.swap_ins		= toymap_stat(obj, TOYMAP_STAT_SWAP_INS),
		.evictions		= toymap_stat(obj, TOYMAP_STAT_EVICTIONS),
		.swapped_pages		= atomic_long_read(&obj->nr_swapped),
	};
	/* As much as the caller's struct holds; a larger one keeps its zero tail. */
	return copy_to_user(uarg, &info, info.size) ? -EFAULT : 0;
}

/* A page-aligned, non-empty range inside the object, and no flags. */
static int toymap_check_range(struct toymap_object *obj, u32 flags, u64 offset, u64 length)
{
	u64 size = i_size_read(obj->inode);

	if (flags)
		return -EINVAL;
	if (!length || !PAGE_ALIGNED(offset) || !PAGE_ALIGNED(length))
		return -EINVAL;
	if (offset > size || length > size - offset)
		return -EINVAL;
	return 0;
}

static long toymap_ioc_discard(struct toymap_object *obj, void __user *uarg)
{
	struct toymap_range range;
	int err;

	err = toymap_copy_arg(&range, sizeof(range), sizeof(range), uarg);
	if (err < 0)
		return err;
	err = toymap_check_range(obj, range.flags, range.offset, range.length);
	if (err)
		return err;

	err = toymap_discard(obj, range.offset, range.length);
	return err < 0 ? err : 0;
}

static long toymap_ioc_attach(struct toymap_object *obj, void __user *uarg)
{
	struct toymap_attach attach;
	int err;

	err = toymap_copy_arg(&attach, sizeof(attach), sizeof(attach), uarg);
	return err < 0 ? err : toymap_attach(obj, &attach);
}

static long toymap_ioc_detach(struct toymap_object *obj, void __user *uarg)
{
	struct toymap_detach detach;
	int err;

	err = toymap_copy_arg(&detach, sizeof(detach), sizeof(detach), uarg);
	if (err < 0)
		return err;
	return detach.flags ? -EINVAL : toymap_detach(obj);
}

static long toymap_ioc_set_swap(struct toymap_object *obj, void __user *uarg)
{
	struct toymap_swap swap;
	int err;

	err = toymap_copy_arg(&swap, sizeof(swap), sizeof(swap), uarg);
	return err < 0 ? err : toymap_set_swap(obj, &swap);
}

static long toymap_ioc_evict(struct toymap_object *obj, void __user *uarg)
{
	struct toymap_evict evict;
	int err;

	err = toymap_copy_arg(&evict, sizeof(evict), sizeof(evict), uarg);
	if (err < 0)
		return err;
	err = toymap_check_range(obj, evict.flags, evict.offset, evict.length);
	if (err)
		return err;

	err = toymap_evict(obj, &evict);
	if (err)
		return err;
	evict.size = sizeof(evict);
	return copy_to_user(uarg, &evict, sizeof(evict)) ? -EFAULT : 0;
}

/* Any opener may look up its own addresses: toymap_lookup() says why that is safe. */
static long toymap_ioc_lookup(void __user *uarg)
{
	struct toymap_lookup lookup;
	u64 addr;
	int err;

	err = toymap_copy_arg(&lookup, sizeof(lookup), sizeof(lookup), uarg);
	if (err < 0)
		return err;
	if (lookup.flags || lookup.reserved)
		return -EINVAL;
	addr = lookup.addr;
	lookup = (struct toymap_lookup) { .size = sizeof(lookup), .addr = addr };
	err = toymap_lookup(&lookup);
	if (err)
		return err;
	return copy_to_user(uarg, &lookup, sizeof(lookup)) ? -EFAULT : 0;
}

/* The size bits of a command are ignored: the struct's size field is its version. */
#define TOYMAP_IOC_BASE(cmd)	((cmd) & ~IOCSIZE_MASK)

/*
 * Every command but INFO and LOOKUP changes or destroys the object: like
 * fallocate(), it needs a descriptor open for writing (EBADF otherwise),
 * whoever holds it.
 */
static long toymap_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct toymap_object *obj = file->private_data;
	void __user *uarg = (void __user *)arg;
	long (*ioc)(struct toymap_object *obj, void __user *uarg);

	switch (TOYMAP_IOC_BASE(cmd)) {
	case TOYMAP_IOC_BASE(TOYMAP_IOC_INFO):
		return toymap_ioc_info(obj, uarg);
	case TOYMAP_IOC_BASE(TOYMAP_IOC_LOOKUP):
		return toymap_ioc_lookup(uarg);
	case TOYMAP_IOC_BASE(TOYMAP_IOC_DISCARD):
		ioc = toymap_ioc_discard;
		break;
	case TOYMAP_IOC_BASE(TOYMAP_IOC_ATTACH):
		ioc = toymap_ioc_attach;
		break;
	case TOYMAP_IOC_BASE(TOYMAP_IOC_DETACH):
		ioc = toymap_ioc_detach;
		break;
	case TOYMAP_IOC_BASE(TOYMAP_IOC_SET_SWAP):
		ioc = toymap_ioc_set_swap;
		break;
	case TOYMAP_IOC_BASE(TOYMAP_IOC_EVICT):
		ioc = toymap_ioc_evict;
		break;
	default:
		return -ENOTTY;
	}
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	return ioc(obj, uarg);
}

/*
 * .get_unmapped_area: a mapping of 2 MiB or more gets an address that
 * agrees with its offset modulo 2 MiB, as ext4's and shmem's do, so that
 * with large_folios=1 core mm can map a 2 MiB folio with one PMD (NULL,
 * the default placement, on a kernel without THP).  Smaller mappings are
 * placed as before.
 */
static const struct file_operations toymap_fops = {
	.owner		= THIS_MODULE,
	.open		= toymap_open,
	.release	= toymap_release,
	.fsync		= toymap_fsync,
	.mmap		= toymap_mmap,
	.get_unmapped_area = thp_get_unmapped_area,
	.unlocked_ioctl	= toymap_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/* The device's release: the last reference to the object is gone. */
static void toymap_object_release(struct device *dev)
{
	struct toymap_object *obj = container_of(dev, struct toymap_object, dev);

	/* The inode's eviction truncates its page cache: every page is freed. */
	if (obj->inode)
		iput(obj->inode);
	toymap_backing_release(obj);
	free_percpu(obj->stats);
	kfree(obj);
}

static struct toymap_object *toymap_object_create(unsigned int index)
{
	struct toymap_object *obj;
	int err;

	obj = kzalloc(sizeof(*obj), GFP_KERNEL);
	if (!obj)
		return ERR_PTR(-ENOMEM);

	obj->index = index;
	obj->stats = alloc_percpu(struct toymap_stats);
	if (!obj->stats) {
		kfree(obj);
		return ERR_PTR(-ENOMEM);
	}
	mutex_init(&obj->lock);
	spin_lock_init(&obj->map_lock);
	xa_init(&obj->swapped);
	device_initialize(&obj->dev);
	obj->dev.class = &toymap_class;
	obj->dev.devt = MKDEV(MAJOR(toymap_devt), index);
	obj->dev.release = toymap_object_release;
	err = dev_set_name(&obj->dev, "toymap%u", index);
	if (err)
		goto err_put;

	obj->inode = alloc_anon_inode(toymap_mnt->mnt_sb);
	if (IS_ERR(obj->inode)) {
		err = PTR_ERR(obj->inode);
		obj->inode = NULL;
		goto err_put;
	}
	obj->inode->i_mapping->a_ops = &toymap_aops;
	toymap_mapping_set_large_folios(obj->inode->i_mapping);
	i_size_write(obj->inode, toymap_size);

	cdev_init(&obj->cdev, &toymap_fops);
	obj->cdev.owner = THIS_MODULE;
	err = cdev_device_add(&obj->cdev, &obj->dev);
	if (err)
		goto err_put;
	return obj;

err_put:
	put_device(&obj->dev);
	return ERR_PTR(err);
}

static void toymap_object_destroy(struct toymap_object *obj)
{
	cdev_device_del(&obj->cdev, &obj->dev);
	put_device(&obj->dev);
}

/* A bad parameter fails the load with EINVAL and one line saying why. */
static int toymap_check_params(void)
{
	if (toymap_devices < 1 || toymap_devices > TOYMAP_MAX_DEVICES) {
		pr_err("toymap: devices=%u is out of range (1..%d)\n",
		       toymap_devices, TOYMAP_MAX_DEVICES);
		return -EINVAL;
	}
	if (!toymap_size || toymap_size > TOYMAP_MAX_SIZE || !PAGE_ALIGNED(toymap_size)) {
		pr_err("toymap: size=%llu must be a multiple of %lu from %lu to %llu bytes\n",
		       toymap_size, PAGE_SIZE, PAGE_SIZE, TOYMAP_MAX_SIZE);
		return -EINVAL;
	}
	if (toymap_mode & ~0777) {
		pr_err("toymap: mode=0%o has bits other than permissions (0..0777)\n",
		       toymap_mode);
		return -EINVAL;
	}
	return 0;
}

static void toymap_destroy_objects(unsigned int count)
{
	while (count--)
		toymap_object_destroy(toymap_objects[count]);
}

static int __init toymap_init(void)
{
	unsigned int i;
	int err;

	err = toymap_check_params();
	if (err)
		return err;

	toymap_lookup_init();
	err = toymap_budget_init();
	if (err)
		return err;
	toymap_objects = kcalloc(toymap_devices, sizeof(*toymap_objects), GFP_KERNEL);
	if (!toymap_objects) {
		err = -ENOMEM;
		goto err_budget;
	}

	err = simple_pin_fs(&toymap_fs_type, &toymap_mnt, &toymap_mnt_count);
	if (err)
		goto err_free;

	err = alloc_chrdev_region(&toymap_devt, 0, toymap_devices, "toymap");
	if (err)
		goto err_release_fs;

	err = class_register(&toymap_class);
	if (err)
		goto err_unregister_region;

	for (i = 0; i < toymap_devices; i++) {
		toymap_objects[i] = toymap_object_create(i);
		if (IS_ERR(toymap_objects[i])) {
			err = PTR_ERR(toymap_objects[i]);
			goto err_destroy;
		}
	}

	toymap_trace_sync();
	WRITE_ONCE(toymap_trace_live, true);
	pr_info("toymap: %u objects of %llu bytes, max_pages %lu, fault_around %d, trace %d\n",
		toymap_devices, toymap_size, toymap_page_limit(),
		toymap_fault_around, toymap_trace);
	return 0;

err_destroy:
	toymap_destroy_objects(i);
	class_unregister(&toymap_class);
err_unregister_region:
	unregister_chrdev_region(toymap_devt, toymap_devices);
err_release_fs:
	simple_release_fs(&toymap_mnt, &toymap_mnt_count);
err_free:
	kfree(toymap_objects);
err_budget:
	toymap_budget_exit();
	return err;
}

static void __exit toymap_exit(void)
{
	long before = toymap_pages_held();

	toymap_destroy_objects(toymap_devices);
	class_unregister(&toymap_class);
	unregister_chrdev_region(toymap_devt, toymap_devices);
	simple_release_fs(&toymap_mnt, &toymap_mnt_count);
	kfree(toymap_objects);

	pr_info("toymap: unloaded, freed %ld pages, %ld pages held\n",
		before - toymap_pages_held(), toymap_pages_held());
	toymap_budget_exit();
}

module_init(toymap_init);
module_exit(toymap_exit);

MODULE_DESCRIPTION("toymap: demand-zero, shared and private copy-on-write memory objects");
MODULE_AUTHOR("The toymap developers");
MODULE_LICENSE("GPL");
